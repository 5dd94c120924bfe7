"""Each sample app's own unit tests, run with this machine's toolchain (no Docker).

They run in a temporary copy so the app directories stay clean build contexts. Inside Docker
the same tests run in the build/test stages of Dockerfile.best and node/Dockerfile.stages; the
Go code's tests run in the profile's Go builder image (tests/integration/test_sample_apps.py),
since no Go toolchain is installed on the project's machines.
"""

import shutil
import subprocess
import sys

import pytest

from multistage.apps import APPS


def _copy(app: str, tmp_path):
    target = tmp_path / app
    shutil.copytree(APPS[app].path, target)
    return target


def _run(command, cwd):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    )
    return result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed on this machine")
def test_node_app_builds_and_passes_its_tests(tmp_path):
    app = _copy("node", tmp_path)
    _run(["npm", "ci", "--no-audit", "--no-fund"], app)
    _run(["npm", "run", "build"], app)
    assert (app / "dist" / "index.js").is_file()
    assert "1 passed" in _run(["npm", "test"], app)


def test_python_app_passes_its_tests_with_ujson_compiled_here(tmp_path):
    app = _copy("python", tmp_path)
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path)
    python = venv / "bin" / "python"
    _run([python, "-m", "pip", "install", "--quiet", "-r", "requirements-dev.txt"], app)
    assert "2 passed" in _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], app)
