"""Shared test setup: where the fixtures and recordings are."""

from pathlib import Path

import pytest

TESTS = Path(__file__).parent


@pytest.fixture
def recordings() -> Path:
    return TESTS / "unit" / "recordings"


@pytest.fixture
def fixtures() -> Path:
    return TESTS / "fixtures"
