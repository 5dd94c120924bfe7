"""Shared test setup: where the fixtures and recordings are, and reports made from recorded builds."""

from pathlib import Path

import pytest

from multistage import buildkit, classic
from multistage.build import read_recording
from multistage.results import BuildReport

TESTS = Path(__file__).parent

#: What each kind of test needs, by where it lives; `make test-fast` runs what needs none of it.
_NEEDS = {
    "integration": ("engine",),
    "native": ("toolchain",),
    "notebooks": ("engine", "notebook", "slow"),
    "browser": ("engine", "browser", "slow"),
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = Path(str(item.fspath)).relative_to(config.rootpath).parts
        for folder, marks in _NEEDS.items():
            if folder in parts:
                for mark in marks:
                    item.add_marker(mark)


@pytest.fixture
def recordings() -> Path:
    return TESTS / "unit" / "recordings"


@pytest.fixture
def fixtures() -> Path:
    return TESTS / "fixtures"


@pytest.fixture
def recorded_report(recordings, fixtures):
    """Make a :class:`BuildReport` from a recorded real build of a fixture (no engine needed)."""

    def make(name: str, builder: str = "classic", size: int = 1_000_000, recording: str | None = None):
        text = (fixtures / name / "Dockerfile").read_text()
        prefix = "buildkit-" if builder == "buildkit" else ""
        messages = read_recording(recordings / (recording or f"{prefix}{name}.jsonl"))
        parsed = (buildkit if builder == "buildkit" else classic).parse(messages, text)
        return BuildReport(
            image_id=parsed.image_id or "sha256:none",
            tags=[],
            size=size,
            builder=builder,
            profile_label="local",
            dockerfile="Dockerfile",
            context=str(fixtures / name),
            target=None,
            seconds=max((s.start + s.seconds for s in parsed.steps), default=0.0),
            steps=parsed.steps,
            dockerfile_text=text,
        )

    return make
