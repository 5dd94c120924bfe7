"""The workshop kit's refusals: one sentence with the fix, before anything is touched (no engine needed)."""

import pytest

from multistage.errors import MultistageError
from multistage.kit import pack, serve


def test_an_unknown_platform_is_refused_with_the_known_ones(tmp_path):
    with pytest.raises(
        MultistageError, match=r"^Unknown platform windows-x86_64; choose from linux-x86_64, "
    ):
        pack(None, tmp_path / "kit", platforms=("windows-x86_64",))
    assert not (tmp_path / "kit").exists(), "nothing is created"


def test_serving_a_directory_without_a_kit_says_what_to_copy_there(tmp_path):
    with pytest.raises(MultistageError, match="holds no workshop kit .kit.json is missing.; copy the kit"):
        serve(None, tmp_path)
