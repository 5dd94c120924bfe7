"""The engine most learners run: Docker 26 with the containerd image store, BuildKit through ``docker buildx``.

The harness engine (:mod:`multistage.harness`: Debian 13's Docker 26 in a container on the
host engine) gets the local bases as a bundle, the way an instructor hands them out, and every
notebook then runs against it top to bottom. The notebooks' own assertions are the checks;
this test adds what only a second engine can show: the same image has the same size on both
image stores, and each notebook names the builder path it used.
"""

import shutil

import nbformat
import pytest

from multistage.analyze import analyze
from multistage.build import build
from multistage.bundle import export_bundle, import_bundle
from multistage.contents import layers_dataframe
from multistage.doctor import run_checks
from multistage.harness import start_engine, stop_engine
from multistage.listings import unpacked_size
from multistage.profiles import RECIPES, RECIPES_BY_NAME
from multistage.progress import quiet
from multistage.runner import NOTEBOOKS, execute_notebook

from .notebook_sets import EXTRA_ENGINE_NOTEBOOKS

pytestmark = [pytest.mark.slow, pytest.mark.extra_engine]  # make test-engines


def leaves_out(test: str, params: dict) -> bool:
    """The combinations not collected (see ``tests/integration/conftest.py``): on each store, the
    notebooks outside its set in :data:`.notebook_sets.EXTRA_ENGINE_NOTEBOOKS`; on overlay2, the
    no-buildx cases (overlay2 has the Engine API's BuildKit path, which needs no CLI)."""
    if test == "test_the_notebooks_run_on_docker_26":
        return params["notebook"] not in EXTRA_ENGINE_NOTEBOOKS[params["engine"]]
    return (
        params.get("engine") == "overlay2"
        and test == "test_without_a_buildkit_path_the_buildkit_lessons_say_so_and_the_notebook_runs"
    )


@pytest.fixture(scope="module")
def bases_bundle(client, tmp_path_factory):
    """The local bases as one bundle, the way an instructor hands them out: exported once for both stores."""
    bundle = tmp_path_factory.mktemp("bundle") / "bases.tar"
    export_bundle(client, bundle, say=quiet, recipes=RECIPES)
    yield bundle
    bundle.unlink()


@pytest.fixture(scope="module", params=["containerd", "overlay2"])
def engine(client, bases_bundle, request):
    """Docker 26 with the containerd image store, then with overlay2 (``make test-engines``)."""
    started = start_engine(client, request.param, say=quiet)
    try:
        import_bundle(started.connect(), bases_bundle, say=quiet)
        yield started
    finally:
        stop_engine(client, request.param)


@pytest.fixture
def on_engine(engine, monkeypatch):
    """Point this process (and the notebook kernels it starts) at the harness engine."""
    monkeypatch.setenv("DOCKER_HOST", engine.address)
    monkeypatch.setenv("MULTISTAGE_PROFILE", "local")
    return engine


def test_doctor_names_the_engine_its_store_and_the_builder_path(on_engine):
    checks = {check.label: check for check in run_checks()}
    assert checks["Docker engine"].detail.startswith("Docker Engine 26."), checks["Docker engine"]
    if on_engine.store == "containerd":
        assert checks["Image store"].detail == "containerd image store"
        assert checks["Builder"].detail.startswith("BuildKit (buildx "), checks["Builder"]
    else:
        assert checks["Image store"].detail == "overlay2 graph driver"
        assert checks["Builder"].detail == "BuildKit (Engine API)", checks["Builder"]


def test_the_same_image_has_the_same_size_on_both_stores(client, on_engine, fixtures, tagger, exported_bytes):
    inner = on_engine.connect()
    base = RECIPES_BY_NAME["busybox"].tag
    assert inner.images.get(base).attrs["Size"] != client.images.get(base).attrs["Size"], (
        "Docker 26's own size of the same image differs from Engine 20.10's, on either store"
    )
    assert unpacked_size(inner, base) == client.images.get(base).attrs["Size"], (
        "the unpacked size on Docker 26 is Engine 20.10's overlay2 size of the same image"
    )
    here = build(fixtures / "two-stage", tag=tagger("size"), client=client, progress=False)
    there = build(fixtures / "two-stage", client=inner, progress=False)
    assert (here.builder, there.builder) == ("buildkit", "buildkit")
    assert here.size == there.size, "the same Dockerfile's image reports one size on both engines"
    if on_engine.store == "containerd":
        layers = layers_dataframe(inner, there)
        assert round(layers["size_mb"].sum() * 1e6) == there.size == exported_bytes(inner, there.image_id), (
            "the layer table adds up to the image's size, the bytes `docker export` of it holds"
        )


def _run_and_read(notebook: str, tmp_path, engine: str) -> list[str]:
    """Run ``notebook`` top to bottom (it must pass) and return the lines its cells printed."""
    run = execute_notebook(NOTEBOOKS / notebook, tmp_path, say=quiet)
    assert not run.error, f"{notebook} failed on Docker 26 ({engine}): {run.error}"
    executed = nbformat.read(tmp_path / "notebooks" / notebook, as_version=4)
    return [
        line
        for cell in executed.cells
        for output in cell.get("outputs", [])
        for line in (output.get("text") or output.get("data", {}).get("text/plain", "")).splitlines()
    ]


@pytest.mark.parametrize("notebook", sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")))
def test_the_notebooks_run_on_docker_26(on_engine, notebook, tmp_path):
    printed = _run_and_read(notebook, tmp_path, on_engine.store)
    said = [line for line in printed if line.startswith("Builder: ")]
    path = (
        "Builder: BuildKit (buildx " if on_engine.store == "containerd" else "Builder: BuildKit (Engine API)"
    )
    assert said and all(line.startswith(path) for line in said), (
        f"{notebook} names the builder path it used: {said}"
    )
    if notebook.startswith("00") and on_engine.store == "containerd":
        assert any(
            "read the token (its fingerprint matches)" in x and "no layer holds" in x for x in printed
        ), "through buildx, the secret mount's build reads the token and leaves it in no layer"


def test_analyze_builds_a_heredoc_dockerfile_with_a_syntax_line_on_docker_26(on_engine, fixtures, tmp_path):
    project = tmp_path / "heredoc-project"
    shutil.copytree(fixtures / "analyze" / "go-scratch", project)
    (project / "Dockerfile").write_text(
        "# syntax=docker/dockerfile:1.4\n"
        "FROM golang:1.21-bookworm AS build\nWORKDIR /src\nCOPY go.mod *.go ./\n"
        "RUN <<EOF\nset -e\ngo vet ./...\nCGO_ENABLED=0 go build -trimpath -o /out/server .\nEOF\n"
        'FROM scratch\nCOPY --from=build /out/server /server\nENTRYPOINT ["/server"]\n'
    )
    analysis = analyze(project, client=on_engine.connect(), progress=False)
    assert analysis.report.builder == "buildkit" and analysis.final.size > 0, (
        "the heredoc the engine 20.10 refuses builds on Docker 26, through buildx"
    )


@pytest.mark.parametrize("notebook", ["02-go-example.ipynb", "07-faster-rebuilds.ipynb"])
def test_without_a_buildkit_path_the_buildkit_lessons_say_so_and_the_notebook_runs(
    on_engine, notebook, tmp_path, cli_without_buildx
):
    """The containerd store with a CLI that lacks buildx: no BuildKit path, the classic builder only.

    02 builds Go's ``Dockerfile.best`` without its cache mounts, saying so; 07 says in one
    sentence that its cache-mount lessons are skipped, and runs to the end.
    """
    said = _run_and_read(notebook, tmp_path, "containerd, classic builder only")
    assert any(line.startswith("Builder: classic, because BuildKit is not available here") for line in said)
    expected = (
        "built without its cache mounts" if notebook.startswith("02") else "Skipped: this engine builds only"
    )
    assert any(expected in line for line in said), f"{notebook} says why a lesson changed: {said}"
