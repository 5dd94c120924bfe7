"""The workshop kit in a room with no internet: packed once, served, and the notebooks run with egress cut.

The cut: a rule in the engine's DOCKER-USER chain drops every packet a container sends anywhere
but the engine's own bridge, so the builds (BuildKit's and the classic builder's steps run on
that bridge) reach the kit's servers and nothing else. It is removed afterwards, also on failure.
"""

import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from multistage.containers import run_command
from multistage.kit import Served, pack, serve, stop
from multistage.profiles import RECIPES_BY_NAME
from multistage.progress import quiet
from multistage.runner import NOTEBOOKS, ROOT, execute_notebook

from .notebook_sets import EXTRA_ENGINE_NOTEBOOKS

pytestmark = [pytest.mark.slow, pytest.mark.extra_engine]  # make test-engines

CUT = ["DOCKER-USER", "-i", "docker0", "!", "-o", "docker0", "-j", "DROP"]


class Room(NamedTuple):
    """The packed kit, what ``pack`` counted into it, and the servers answering for it."""

    kit: Path
    manifest: dict
    served: Served


def _iptables(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["iptables", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def room(client, tmp_path_factory):
    """The kit packed, the containers' egress cut, the kit served; undone afterwards, also on failure."""
    if shutil.which("iptables") is None or _iptables("-L", "DOCKER-USER").returncode != 0:
        pytest.skip(
            "no iptables DOCKER-USER chain to cut the containers' egress with (needs root and dockerd's iptables)"
        )
    kit = tmp_path_factory.mktemp("room") / "kit"
    manifest = pack(client, kit)
    try:
        assert _iptables("-I", *CUT).returncode == 0, "the rule cutting the containers' egress is in place"
        served = serve(client, kit)
        try:
            yield Room(kit, manifest, served)
        finally:
            stop(client)
    finally:
        while _iptables("-D", *CUT).returncode == 0:
            pass


def test_the_kit_holds_what_the_room_needs_and_serves_it_to_builds_cut_off_from_the_internet(client, room):
    assert (
        room.manifest["npm_tarballs"] > 100
        and room.manifest["pypi_files"] > 5
        and (room.kit / "bases.tar").stat().st_size > 1e8
    )
    installs = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-index"]
        + ["--find-links", str(room.kit / "wheels"), "-r", str(ROOT / "requirements.txt"), "setuptools>=68"],
        capture_output=True,
        text=True,
    )
    assert installs.returncode == 0, (
        f"requirements.txt installs from the wheelhouse alone: {installs.stderr[-300:]}"
    )
    python = RECIPES_BY_NAME["python-builder"].tag
    cut_off = run_command(
        client,
        python,
        ["python", "-c", "import urllib.request as u; u.urlopen('https://pypi.org/simple/', timeout=10)"],
        check=False,
    )
    assert "Error" in cut_off, "with the rule in place a container cannot reach PyPI"
    for url in (f"{room.served.npm}-/ping", room.served.pypi):
        answer = run_command(
            client,
            python,
            ["python", "-c", f"import urllib.request as u; print(u.urlopen({url!r}, timeout=10).status)"],
        )
        assert answer == "200", f"the kit's server at {url} answers a build container"
    doctor = subprocess.run(
        [sys.executable, "-m", "multistage", "doctor"], capture_output=True, text=True, timeout=300
    )
    assert "✓ Base-image profile: local: the workshop kit is served" in doctor.stdout, (
        f"doctor's profile line says the kit is in use, as the guide's welcome shows it:\n{doctor.stdout}"
    )


@pytest.mark.parametrize("notebook", EXTRA_ENGINE_NOTEBOOKS["kit"])
def test_the_notebooks_run_from_the_kit_with_the_builds_cut_off_from_the_internet(room, notebook, tmp_path):
    run = execute_notebook(NOTEBOOKS / notebook, tmp_path, say=quiet)
    assert not run.error, f"{notebook} failed in the offline room: {run.error}"
    printed = (tmp_path / "notebooks" / notebook).read_text()
    assert "Base-image profile: local (the workshop kit is served" in printed, (
        f"{notebook}'s profile line says the kit is in use, as the instructor guide tells the room"
    )
