"""`analyze` on real-world patterns, unchanged: built on the local profile, measured, and findings ranked."""

import hashlib
import re
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

from multistage import active_profile
from multistage.analyze import analyze
from multistage.apps import APPS
from multistage.containers import run_command
from multistage.errors import BaseImageUnavailable, BuildFailed, MultistageError
from multistage.labels import BUILD_NAMESPACE, project_filter

pytestmark = pytest.mark.slow  # real builds and rebuilds of each fixture

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "analyze"


def _digest(folder: Path) -> str:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return hashlib.sha256(b"".join(p.read_bytes() + str(p).encode() for p in files)).hexdigest()


def _said(analysis, words: str) -> bool:
    return any(words in finding.finding for finding in analysis.findings)


def test_go_alpine_with_a_syntax_line_and_lowercase_as(client):
    before = _digest(FIXTURES / "go-alpine")
    analysis = analyze(FIXTURES / "go-alpine", client=client, progress=False)
    assert _digest(FIXTURES / "go-alpine") == before, "the project itself is never changed"
    assert analysis.final.compilers == () and analysis.stage_table()["built"].all()
    if analysis.profile == "local":
        assert any("syntax" in note for note in analysis.notes)
        assert set(analysis.bases["requested"]) == {"golang:1.21-alpine", "alpine:3.19"}
    assert _said(analysis, "runs as root")
    assert [edit.edit for edit in analysis.edits] == ["source edit", "dependency edit"]
    summary = analysis.summary()
    assert "Findings: none" not in summary and f"  1. {analysis.findings[0].finding} -> " in summary


def test_go_distroless_with_copy_from_0_and_a_test_stage_nothing_needs(client):
    analysis = analyze(FIXTURES / "go-distroless", client=client, progress=False)
    assert analysis.final.shell is None and analysis.surface.setuid == 0
    assert not analysis.stage_table().loc["test", "built"], "BuildKit skips the test stage"
    assert _said(analysis, "COPY --from=0 refers to stages by position")
    assert _said(analysis, "does not need the stage test")
    assert _said(analysis, "installs the dependencies again"), "COPY . . comes before go mod download"


def test_python_virtualenv_copied_from_the_builder_with_a_c_extension(client):
    analysis = analyze(FIXTURES / "python-venv", client=client, progress=False)
    assert analysis.final.user == "appuser" and not _said(analysis, "runs as root")
    assert analysis.final.compilers == (), "the compiler stayed in the builder"
    source, dependency = analysis.edits
    assert not any("pip install" in step for step in source.rerun), "a source edit keeps the install cached"
    assert any("pip install" in step for step in dependency.rerun)
    assert analysis.surface.os_packages > 0 and analysis.surface.executables > 0


def test_node_front_end_served_by_nginx(client):
    analysis = analyze(FIXTURES / "node-nginx", client=client, progress=False)
    assert analysis.report.size - analysis.base_size < 1e6, "only the bundle is added to nginx"
    assert analysis.dev_packages is None, "no node_modules reaches the final image"
    source, dependency = analysis.edits
    assert not any("npm ci" in step for step in source.rerun) and any("npm ci" in s for s in dependency.rerun)


def test_a_real_projects_dockerfile_unchanged_the_voting_apps_vote_service(client):
    before = _digest(FIXTURES / "voting-app-vote")
    analysis = analyze(FIXTURES / "voting-app-vote", client=client, progress=False)
    assert _digest(FIXTURES / "voting-app-vote") == before, "the project itself is never changed"
    stages = analysis.stage_table()
    assert not stages.loc["dev", "built"] and stages.loc["final", "built"], "BuildKit skips the dev stage"
    source, dependency = analysis.edits
    assert source.file == "app.py" and not any("pip install" in step for step in source.rerun)
    assert any("pip install" in step for step in dependency.rerun)
    assert "apt-get" in analysis.final.package_managers and _said(analysis, "runs as root")
    assert analysis.unignored_mb is None, "the vote service has no .dockerignore"


def test_a_static_go_binary_on_scratch_run_as_nobody(client):
    analysis = analyze(FIXTURES / "go-scratch", client=client, edits=False, progress=False)
    assert analysis.base_size is None, "scratch adds nothing to compare with"
    assert analysis.final.user == "65534:65534" and not _said(analysis, "runs as root")
    assert analysis.surface.executables == 1 and analysis.surface.os_packages == 0, "the binary alone"
    assert not _said(analysis, "shell"), "scratch has no shell to report"


def test_a_final_image_that_cannot_start_is_the_first_finding_and_names_the_lesson(client, tmp_path):
    project = tmp_path / "go-alpine-cgo"
    shutil.copytree(FIXTURES / "go-alpine", project)
    (project / "Dockerfile").write_text(
        "FROM golang:1.21 AS build\nWORKDIR /src\nCOPY go.mod *.go ./\n"
        "RUN CGO_ENABLED=1 go build -o /bin/server .\n"
        'FROM alpine:3.19\nCOPY --from=build /bin/server /usr/local/bin/server\nENTRYPOINT ["server"]\n'
    )
    analysis = analyze(project, client=client, edits=False, progress=False)
    assert analysis.start.outcome == "failed" and "no such file or directory" in analysis.start.detail
    first = analysis.findings[0]
    assert first.finding.startswith("the final image fails to start") and first.notebook == "02"
    working = analyze(FIXTURES / "go-scratch", client=client, edits=False, progress=False)
    assert (working.start.outcome, working.start.detail) == ("running", "listening on 8080/tcp")


def test_a_cgo_binary_on_distroless_base_runs_on_its_stand_in(client):
    analysis = analyze(FIXTURES / "go-cgo-distroless", client=client, progress=False)
    if analysis.profile == "local":
        assert analysis.bases.set_index("requested").loc[
            "gcr.io/distroless/base-debian12:nonroot", "family"
        ] == ("distroless base/cc")
    assert run_command(client, analysis.report.image_id, ["/app", "whoami"]).strip() == "nonroot"
    assert analysis.final.shell is None and analysis.surface.os_packages > 0, (
        "distroless records its packages"
    )
    assert _said(analysis, "without a cache mount"), "a source edit recompiles the whole service"


def test_the_documents_node_example_is_found_to_ship_development_packages(client):
    analysis = analyze(APPS["node"].path, client=client, edits=False, progress=False)
    assert analysis.dev_packages and _said(analysis, "development packages")
    assert analysis.base_size and analysis.report.size > analysis.base_size
    # The app's .dockerignore leaves out the Dockerfiles not being built and itself: at least
    # their bytes (the context is a tar, with a header per file), shown in kB.
    ignored = [*APPS["node"].path.glob("Dockerfile.*"), APPS["node"].path / ".dockerignore"]
    left_out = re.search(r"\.dockerignore leaves out (\d+) kB of this directory", analysis.summary())
    assert left_out and int(left_out[1]) >= sum(p.stat().st_size for p in ignored) / 1e3, analysis.summary()


def test_a_test_stage_the_target_does_not_need_is_found_and_each_stage_measured(client):
    analysis = analyze(
        APPS["node"].path,
        "Dockerfile.stages",
        target="production",
        client=client,
        edits=False,
        progress=False,
    )
    stages = analysis.stage_table()
    assert not stages.loc["test", "built"] and _said(analysis, "does not need the stage test")
    assert stages.loc["production", "size_mb"] < stages.loc["build", "size_mb"], "sizes measured per stage"


def _engine_and_temp_state(client) -> tuple[set, set, set]:
    """What bad input must not change: the project's and untagged images (a half-built one would be
    either; a base pulled on the official profile is neither), containers, analyze's temporary copies."""
    scratch = Path(tempfile.gettempdir())
    return (
        {image.id for image in client.images.list(filters={"dangling": True})}
        | {image.id for image in client.images.list(filters=project_filter())},
        {container.id for container in client.containers.list(all=True)},
        set(scratch.glob("multistage-analyze-*")),
    )


@pytest.mark.alone  # compares every container, dangling and project image on the engine
def test_bad_input_gets_one_sentence_and_leaves_nothing_behind(client, tmp_path):
    before = _engine_and_temp_state(client)
    with pytest.raises(MultistageError, match="has no Dockerfile"):
        analyze(tmp_path, client=client)
    project = tmp_path / f"bad-{uuid.uuid4().hex[:8]}"
    project.mkdir()
    (project / "Dockerfile").write_text("FROM ubuntu:22.04\nRUN true\n")
    if active_profile(client).name == "local":
        with pytest.raises(BaseImageUnavailable, match="has no local stand-in"):
            analyze(project, client=client)
    (project / "Dockerfile").write_text(
        "FROM alpine:3.19 AS build\nRUN exit 3\nFROM scratch\nCOPY --from=build /x /x\n"
    )
    with pytest.raises(BuildFailed, match="RUN exit 3"):
        analyze(project, client=client, progress=False)
    (project / "Dockerfile").write_text("FROM alpine:3.19\nRUNN true\n")
    with pytest.raises(
        MultistageError, match="line 2: `RUNN` is not a Dockerfile instruction; did you mean RUN"
    ):
        analyze(project, client=client, progress=False)
    if int(client.version()["Version"].split(".")[0]) < 23:
        (project / "Dockerfile").write_text("FROM alpine:3.19\nRUN <<EOF\ntrue\nEOF\n")
        with pytest.raises(MultistageError, match="uses heredocs"):
            analyze(project, client=client, progress=False)
    assert not client.images.list(name=f"{BUILD_NAMESPACE}/analyze:{project.name}")
    assert _engine_and_temp_state(client) == before, (
        "no image, container or temporary copy is left behind; the failed build's stage neither"
    )
    shutil.rmtree(project)


def test_a_newer_go_and_a_distroless_python_get_stand_ins_built_on_first_use(client, tmp_path):
    """A project on Go 1.25 (a newer Go than the tutorial's stand-in) and one on distroless python3."""
    go = tmp_path / "go-current"
    shutil.copytree(
        APPS["go"].path,
        go,
        ignore=shutil.ignore_patterns("Dockerfile*", "builder-pattern", "secret", "stage-names"),
    )
    (go / "go.mod").write_text((go / "go.mod").read_text().replace("go 1.21", "go 1.25"))
    (go / "Dockerfile").write_text(
        "FROM golang:1.25 AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /main .\n"
        'FROM gcr.io/distroless/static-debian12\nCOPY --from=build /main /main\nEXPOSE 8080\nENTRYPOINT ["/main"]\n'
    )
    analysis = analyze(go, client=client, progress=False, edits=False)
    assert analysis.start.outcome == "running", analysis.start
    if analysis.profile == "local":
        assert (
            analysis.bases.set_index("requested").loc["golang:1.25", "used"]
            == "multistage-local/go-builder:1.26"
        )
    python = tmp_path / "distroless-python"
    python.mkdir()
    (python / "app.py").write_text("import sys\nprint('python', sys.version_info[:2])\n")
    (python / "Dockerfile").write_text(
        "FROM python:3.13-slim AS build\nWORKDIR /app\nCOPY app.py .\nRUN python -m py_compile app.py\n"
        'FROM gcr.io/distroless/python3-debian13\nCOPY --from=build /app /app\nCMD ["/app/app.py"]\n'
    )
    analysis = analyze(python, client=client, progress=False, edits=False)
    assert analysis.start.outcome == "exited 0", analysis.start
    assert analysis.final.shell is None, "distroless: no shell"
