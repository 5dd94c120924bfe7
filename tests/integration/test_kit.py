"""The workshop kit in a room with no internet: packed once, served, and every notebook runs with egress cut.

The cut: a rule in the engine's DOCKER-USER chain drops every packet a container sends anywhere
but the engine's own bridge, so the builds (BuildKit's and the classic builder's steps run on
that bridge) reach the kit's servers and nothing else. It is removed afterwards, also on failure.
"""

import shutil
import subprocess
import sys

import pytest

from multistage.containers import run_command
from multistage.kit import pack, serve, stop
from multistage.profiles import RECIPES_BY_NAME
from multistage.progress import quiet
from multistage.runner import NOTEBOOKS, ROOT, execute_notebook

pytestmark = [pytest.mark.slow, pytest.mark.extra_engine]  # make test-engines

CUT = ["DOCKER-USER", "-i", "docker0", "!", "-o", "docker0", "-j", "DROP"]


def _iptables(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["iptables", *args], capture_output=True, text=True)


@pytest.fixture
def cut_egress():
    """A function that cuts the containers' egress; the cut is undone after the test, also on failure."""
    if shutil.which("iptables") is None or _iptables("-L", "DOCKER-USER").returncode != 0:
        pytest.skip(
            "no iptables DOCKER-USER chain to cut the containers' egress with (needs root and dockerd's iptables)"
        )
    yield lambda: _iptables("-I", *CUT).returncode == 0
    while _iptables("-D", *CUT).returncode == 0:
        pass


def test_every_notebook_runs_from_the_kit_with_the_builds_cut_off_from_the_internet(
    client, tmp_path, cut_egress
):
    kit = tmp_path / "kit"
    manifest = pack(client, kit)
    assert cut_egress()
    assert (
        manifest["npm_tarballs"] > 100
        and manifest["pypi_files"] > 5
        and (kit / "bases.tar").stat().st_size > 1e8
    )
    installs = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-index"]
        + ["--find-links", str(kit / "wheels"), "-r", str(ROOT / "requirements.txt"), "setuptools>=68"],
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
    served = serve(client, kit)
    try:
        for url in (f"{served.npm}-/ping", served.pypi):
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
        for notebook in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
            run = execute_notebook(notebook, tmp_path / "out", say=quiet)
            assert not run.error, f"{notebook.name} failed in the offline room: {run.error}"
            printed = (tmp_path / "out" / "notebooks" / notebook.name).read_text()
            assert "Base-image profile: local (the workshop kit is served" in printed, (
                f"{notebook.name}'s profile line says the kit is in use, as the instructor guide tells the room"
            )
    finally:
        stop(client)
