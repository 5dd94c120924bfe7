"""The path most learners take: the document's official images, pulled through the engine's own registry mirror.

No public registry answers on this project's machines, so the harness engine (Docker 26, in a
container, :mod:`multistage.harness`) runs Debian's registry as its ``registry-mirrors`` entry
for Docker Hub, and another answering as ``gcr.io``, both holding the local stand-ins under the
document's names. The engine pulls ``node:18`` as it would from Docker Hub; nothing in the
project knows a name the learner's engine would not. The host engine's configuration is
never touched. ``python -m multistage setup`` then runs as a learner runs it, and the notebooks
after it.
"""

import os
import subprocess
import sys

import nbformat
import pytest

from multistage import labels as lbl
from multistage.harness import serve_document_images, start_engine, stop_engine
from multistage.labels import LOCAL_NAMESPACE
from multistage.profiles import DOCUMENT_IMAGES, RECIPES_BY_NAME, REGISTRY_PROBES
from multistage.progress import quiet
from multistage.runner import NOTEBOOKS, execute_notebook

from .notebook_sets import EXTRA_ENGINE_NOTEBOOKS

pytestmark = [pytest.mark.slow, pytest.mark.extra_engine]  # make test-engines

STORE = "overlay2"


def _setup(address: str) -> str:
    """Run ``python -m multistage setup`` against the engine at ``address``; return what it printed."""
    env = {k: v for k, v in os.environ.items() if k != "MULTISTAGE_PROFILE"}
    result = subprocess.run(
        [sys.executable, "-m", "multistage", "setup"],
        env={**env, "DOCKER_HOST": address},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, f"setup failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _run_notebooks(names: tuple[str, ...], out, monkeypatch, address: str) -> list[str]:
    """Execute the notebooks against ``address``; return every text output, for the profile line."""
    monkeypatch.setenv("DOCKER_HOST", address)
    monkeypatch.delenv("MULTISTAGE_PROFILE", raising=False)
    texts = []
    for name in names:
        run = execute_notebook(NOTEBOOKS / name, out, say=quiet)
        assert not run.error, f"{name} failed on the official profile: {run.error}"
        executed = nbformat.read(out / "notebooks" / name, as_version=4)
        for cell in executed.cells:
            for output in cell.get("outputs", []):
                texts.append(output.get("text") or output.get("data", {}).get("text/plain", ""))
    return texts


def _built_profiles(engine) -> set[str]:
    """The base profile recorded on every image the notebooks built on that engine (bases left out).

    The served "official" images are stand-ins under official names, so they carry the base
    label too; that label is how they are left out here.
    """
    images = engine.images.list(filters=lbl.project_filter())
    return {
        (image.labels or {}).get(lbl.PROFILE)
        for image in images
        if (image.labels or {}).get(lbl.ROLE) != lbl.BASE_ROLE
    }


@pytest.fixture
def official_engine(client):
    engine = start_engine(client, STORE, mirror=True, gcr=True, say=quiet)
    try:
        serve_document_images(client, engine, ("docker.io", "gcr.io"), say=quiet)
        yield engine
    finally:
        stop_engine(client, STORE)


@pytest.fixture
def mixed_engine(client):
    """Docker Hub answers through the mirror; gcr.io resolves to an address where nothing listens."""
    engine = start_engine(client, STORE, mirror=True, say=quiet)
    try:
        serve_document_images(client, engine, ("docker.io",), say=quiet)
        yield engine
    finally:
        stop_engine(client, STORE)


def test_setup_pulls_the_official_images_and_the_notebooks_build_on_them(
    official_engine, tmp_path, monkeypatch
):
    printed = _setup(official_engine.address)
    assert "Base-image profile: official (" in printed, printed
    for ref in set(DOCUMENT_IMAGES) - set(REGISTRY_PROBES.values()):  # the probes pulled those
        assert f"$ docker pull {ref}" in printed, f"setup pulls {ref} itself:\n{printed}"
    texts = _run_notebooks(EXTRA_ENGINE_NOTEBOOKS["official"], tmp_path, monkeypatch, official_engine.address)

    said = [line for text in texts for line in text.splitlines() if "Base-image profile:" in line]
    assert said and all(line.startswith("Base-image profile: official (") for line in said), said
    assert not any(LOCAL_NAMESPACE in text for text in texts), "no output names a local stand-in"
    engine = official_engine.connect()
    assert _built_profiles(engine) == {"official"}, "every image the notebooks built says official"
    tags = [tag for image in engine.images.list() for tag in image.tags]
    assert not [tag for tag in tags if tag.startswith(LOCAL_NAMESPACE + "/")], (
        f"no local stand-in was needed where every registry answers: {tags}"
    )
    assert set(DOCUMENT_IMAGES) <= {tag.removeprefix("docker.io/library/") for tag in tags} | {
        tag.removesuffix(":latest") for tag in tags if tag.startswith("gcr.io/")
    }, f"the document's images are on the engine under their own names: {tags}"


def test_with_gcr_io_unreachable_setup_stands_in_only_for_its_images(mixed_engine, tmp_path, monkeypatch):
    printed = _setup(mixed_engine.address)
    label = "official, with local stand-ins for gcr.io images"
    assert f"Base-image profile: {label} (" in printed, printed
    assert "$ docker pull node:18" in printed and "$ docker pull gcr.io" not in printed, printed
    texts = _run_notebooks(EXTRA_ENGINE_NOTEBOOKS["mixed"], tmp_path, monkeypatch, mixed_engine.address)

    said = [line for text in texts for line in text.splitlines() if "Base-image profile:" in line]
    assert said and all(line.startswith(f"Base-image profile: {label} (") for line in said), said
    engine = mixed_engine.connect()
    assert _built_profiles(engine) == {label}, "every image the notebook built names the mix"
    local = sorted(
        tag for image in engine.images.list() for tag in image.tags if tag.startswith(LOCAL_NAMESPACE + "/")
    )
    assert local == sorted(RECIPES_BY_NAME[name].tag for name in ("cc", "debian-slim", "static")), (
        f"only gcr.io's images and their root were stood in: {local}"
    )
