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
from multistage.contents import unpacked_size
from multistage.doctor import run_checks
from multistage.harness import start_engine, stop_engine
from multistage.profiles import RECIPES, RECIPES_BY_NAME
from multistage.runner import NOTEBOOKS, execute_notebook

pytestmark = pytest.mark.slow


@pytest.fixture(
    scope="module",
    params=["containerd", pytest.param("overlay2", marks=pytest.mark.extra_engine)],
)
def engine(client, tmp_path_factory, request):
    """Docker 26 with the containerd image store (in ``make test``), or overlay2 (``make test-engines``)."""
    started = start_engine(client, request.param, say=lambda _: None)
    try:
        bundle = tmp_path_factory.mktemp("bundle") / "bases.tar"
        export_bundle(client, bundle, say=lambda _: None, recipes=RECIPES)
        import_bundle(started.connect(), bundle, say=lambda _: None)
        bundle.unlink()
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
    assert checks["Builder"].ok


def test_the_same_image_has_the_same_size_on_both_stores(client, on_engine, fixtures, tagger):
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


@pytest.mark.parametrize("notebook", sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")))
def test_every_notebook_runs_on_docker_26(on_engine, notebook, tmp_path):
    run = execute_notebook(NOTEBOOKS / notebook, tmp_path, say=lambda _: None)
    assert not run.error, f"{notebook} failed on Docker 26 ({on_engine.store}): {run.error}"
    executed = nbformat.read(tmp_path / "notebooks" / notebook, as_version=4)
    said = [
        line
        for cell in executed.cells
        for output in cell.get("outputs", [])
        for line in (output.get("text") or output.get("data", {}).get("text/plain", "")).splitlines()
        if line.startswith("Builder: ")
    ]
    path = (
        "Builder: BuildKit (buildx " if on_engine.store == "containerd" else "Builder: BuildKit (Engine API)"
    )
    assert said and all(line.startswith(path) for line in said), (
        f"{notebook} names the builder path it used: {said}"
    )


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
