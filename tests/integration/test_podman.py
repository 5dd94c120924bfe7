"""Podman's Docker-compatible API: started the way a user asks for it, and the notebooks run against it.

``MULTISTAGE_ENGINE=podman`` makes the project use Podman's socket; where nothing answers
there (a clean machine), ``ensure_engine`` installs Debian's podman and starts its API service,
as ``make setup`` does. The local bases are provisioned into Podman's image store, the notebooks
:mod:`.notebook_sets` names run top to bottom, each as its own test, then ``clean`` and the bundle
are tried on that store. A service this test started is stopped afterwards; Podman's images stay,
like Docker's after the other tests.
"""

import os
import signal
import subprocess

import pytest

from multistage.build import available_builders
from multistage.bundle import export_bundle
from multistage.clean import clean
from multistage.engine import engine_facts, ensure_engine
from multistage.errors import MultistageError
from multistage.profiles import RECIPES_BY_NAME
from multistage.progress import quiet
from multistage.provision import base_status, provision
from multistage.runner import NOTEBOOKS, execute_notebook

from .notebook_sets import EXTRA_ENGINE_NOTEBOOKS

pytestmark = [pytest.mark.slow, pytest.mark.extra_engine]  # make test-engines

SERVICE = "podman system service --time=0"


def _services() -> set[int]:
    found = subprocess.run(["pgrep", "-f", SERVICE], capture_output=True, text=True).stdout.split()
    return {int(pid) for pid in found}


@pytest.fixture(scope="module")
def podman(tmp_path_factory):
    """A client for Podman's API, started by the project if nothing answers; stopped afterwards if so."""
    patch = pytest.MonkeyPatch()
    patch.delenv("DOCKER_HOST", raising=False)
    patch.setenv("MULTISTAGE_ENGINE", "podman")
    before = _services()
    try:
        client = ensure_engine(say=quiet)
    except MultistageError as exc:
        patch.undo()
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so the Podman test must run, but: {exc}")
        pytest.skip(str(exc))
    try:
        yield client
    finally:
        for pid in _services() - before:
            os.kill(pid, signal.SIGTERM)
        patch.undo()


@pytest.fixture(scope="module")
def provisioned(podman):
    """Podman, checked to be Podman, with the local bases provisioned into its own store."""
    facts = engine_facts(podman)
    assert facts.kind == "Podman", (
        f"MULTISTAGE_ENGINE=podman reaches Podman, not {facts.kind} at {facts.host}"
    )
    assert available_builders(podman, say=quiet) == ("buildah",)
    for status in provision(podman, say=quiet):
        assert status.current, f"{status.recipe.tag} provisioned into Podman's store"
    return podman


@pytest.mark.parametrize("notebook", EXTRA_ENGINE_NOTEBOOKS["podman"])
def test_the_notebooks_run_on_podman(provisioned, notebook, tmp_path):
    run = execute_notebook(NOTEBOOKS / notebook, tmp_path, say=quiet)
    assert not run.error, f"{notebook} failed on Podman: {run.error}"


def test_bundle_and_clean_work_on_podmans_store(provisioned, tmp_path):
    podman = provisioned
    bundle = tmp_path / "static.tar"
    export_bundle(podman, bundle, say=quiet, recipes=[RECIPES_BY_NAME["static"]])
    assert bundle.stat().st_size > 1e6, "a bundle is written from Podman's store"
    clean(podman, keep_bases=True, say=quiet)
    left = [
        image.tags for image in podman.images.list() if any("multistage-tutorial/" in t for t in image.tags)
    ]
    assert not left, f"clean removes the tutorial's images from Podman's store: {left}"
    assert all(status.current for status in base_status(podman)), "clean --keep-bases keeps the bases"
