"""Decoding of real BuildKit build streams recorded by tests/unit/recordings/record.py."""

import base64
import importlib
import io
import tarfile

import pytest

from multistage import buildkit, buildx, classic
from multistage.build import available_builders, default_builder, read_recording
from multistage.buildkit import TRACE_ID, context_tar, decode_status
from multistage.errors import MultistageError

#: BuildKit's two paths, each recorded for real: the Engine API's protobuf trace (Engine 20.10) and
#: ``docker buildx build --progress=rawjson`` (Engine 26, containerd image store). One parser reads both.
PATHS = pytest.mark.parametrize("path", ["buildkit", "buildx"])


def parsed(recordings, fixtures, name, fixture, path="buildkit"):
    text = (fixtures / fixture / "Dockerfile").read_text()
    return buildkit.parse(read_recording(recordings / f"{path}-{name}.jsonl"), text)


def test_trace_messages_are_status_responses_with_named_vertices(recordings):
    traces = [
        m for _, m in read_recording(recordings / "buildkit-two-stage-cold.jsonl") if m.get("id") == TRACE_ID
    ]
    names = {v.get("name") for m in traces for v in decode_status(m["aux"]).get("vertexes", [])}
    assert "[builder 4/4] RUN tr 'a-z' 'A-Z' < message.txt > shout.txt && echo \"built shout.txt\"" in names
    assert any(name.startswith("[internal]") for name in names)


@PATHS
def test_cold_build_maps_vertices_to_the_classic_step_numbers(recordings, fixtures, path):
    bk = parsed(recordings, fixtures, "two-stage-cold", "two-stage", path)
    cl = classic.parse(read_recording(recordings / "two-stage-cold.jsonl"))
    assert bk.error is None and bk.image_id.startswith("sha256:")
    by_number = {s.number: s for s in cl.steps}
    for step in bk.steps:
        assert step.instruction == by_number[step.number].instruction
        assert step.stage == by_number[step.number].stage
    # BuildKit has no vertex for ARG, CMD or ENV: they only change the image config.
    assert {s.keyword for s in bk.steps} <= {"FROM", "RUN", "COPY", "ADD", "WORKDIR"}
    # Measured on Engine 20.10: --no-cache makes RUN and COPY run again, but WORKDIR's
    # directory creation may still come from the cache.
    work = [s for s in bk.steps if s.keyword in ("RUN", "COPY")]
    assert len(work) == 3 and not any(s.cached for s in work)
    # The base was on the engine: no pull, so FROM counts as cached (containerd "resolve"s it, no pull).
    assert all(s.cached for s in bk.steps if s.keyword == "FROM")


@PATHS
def test_independent_steps_overlap_in_time(recordings, fixtures, path):
    steps = parsed(recordings, fixtures, "two-stage-cold", "two-stage", path).steps
    builder_run = next(s for s in steps if s.keyword == "RUN")
    final_workdir = next(s for s in steps if s.instruction == "WORKDIR /app")
    assert final_workdir.start < builder_run.start + builder_run.seconds, "BuildKit runs both stages at once"
    copy = next(s for s in steps if s.instruction.startswith("COPY --from=builder"))
    assert copy.start >= builder_run.start + builder_run.seconds, "the copy waits for what it copies"


@PATHS
def test_unchanged_rebuild_reports_every_step_cached(recordings, fixtures, path):
    cached = parsed(recordings, fixtures, "two-stage-cached", "two-stage", path)
    assert cached.steps and all(s.cached for s in cached.steps)


@PATHS
def test_stage_the_target_does_not_need_never_runs(recordings, fixtures, path):
    bk = parsed(recordings, fixtures, "unused-stage", "unused-stage", path)
    cl = classic.parse(read_recording(recordings / "unused-stage.jsonl"))
    assert 0 not in {s.stage for s in bk.steps}
    assert {s.stage for s in bk.steps} == {1, 2}
    assert any(s.stage == 0 and s.keyword == "RUN" and not s.cached for s in cl.steps)


@PATHS
def test_failing_step_is_named_with_its_own_log(recordings, fixtures, path):
    failed = parsed(recordings, fixtures, "failing", "failing", path)
    assert failed.image_id is None and "exit code: 3" in failed.error
    assert failed.failed.instruction == 'RUN echo "about to fail" && exit 3'
    assert failed.log[0] == "about to fail"


def test_in_parallel_stages_the_failing_step_is_the_cause_not_the_one_buildkit_cancelled(
    recordings, fixtures
):
    """A real build: `broken` fails while `slow` still sleeps, and BuildKit cancels `slow`."""
    text = (fixtures / "parallel-failure" / "Dockerfile").read_text()
    parsed = buildkit.parse(read_recording(recordings / "buildkit-parallel-failure.jsonl"), text)
    assert parsed.failed.instruction == 'RUN sleep 1 && echo "broken on purpose" && exit 3'
    assert parsed.log[0] == "broken on purpose", "the failing step's own output explains it"


def test_a_classic_stream_asked_as_buildkit_is_refused(recordings, fixtures):
    text = (fixtures / "two-stage" / "Dockerfile").read_text()
    with pytest.raises(MultistageError, match="classic builder although BuildKit"):
        buildkit.parse(read_recording(recordings / "two-stage-cold.jsonl"), text)


def test_context_is_plain_ustar_and_honours_dockerignore(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "keep.txt").write_text("x")
    (tmp_path / "secret.env").write_text("TOKEN=1")
    (tmp_path / ".dockerignore").write_text("# not this\n*.env\n")
    raw = context_tar(tmp_path, "Dockerfile")
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        names = tar.getnames()
        assert all(m.pax_headers == {} for m in tar.getmembers())
    assert sorted(names) == [".dockerignore", "Dockerfile", "keep.txt"]
    assert raw[257:263] == b"ustar\x00", "POSIX ustar magic, no PAX extended headers"


def test_a_path_too_long_for_ustar_is_one_clear_error(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    deep = tmp_path / ("d" * 120) / ("e" * 120)
    deep.mkdir(parents=True)
    (deep / ("f" * 90)).write_text("x")
    with pytest.raises(MultistageError, match="shorten the path or list it in .dockerignore"):
        context_tar(tmp_path, "Dockerfile")


def test_decoder_skips_fields_it_does_not_declare():
    # field 4 (warnings) of StatusResponse, a length-delimited blob, then an empty vertex (field 1)
    raw = bytes([0x22, 0x02, 0x0A, 0x00, 0x0A, 0x00])
    status = decode_status(base64.b64encode(raw).decode())
    assert len(status["vertexes"]) == 1


def test_without_buildkit_the_notebooks_get_the_classic_builder_and_a_visible_note(monkeypatch):
    monkeypatch.setattr(
        buildkit, "buildkit_available", lambda client: (False, "the engine ignored version=2")
    )
    monkeypatch.setattr(
        buildx, "buildx_available", lambda client: (False, "the docker CLI has no buildx plugin")
    )
    # Engine 20.10's ping sends no Builder-Version header (its answer, read through the SDK, on
    # this project's machine): the docker CLI then uses its own default, the classic builder.
    build_module = importlib.import_module("multistage.build")  # the package exports a function named build
    monkeypatch.setattr(build_module, "told_builder", lambda client: "")
    said = []
    version = {"Components": [{"Name": "Engine"}], "Version": "20.10.24+dfsg1"}
    engine = type("Engine", (), {"version": lambda self: version})()
    assert available_builders(engine, say=said.append) == ("classic",)
    assert said == [
        "Builder: classic, because BuildKit is not available here (the engine ignored version=2; "
        "the docker CLI has no buildx plugin); this notebook shows the classic builder only, and its "
        "BuildKit lessons are skipped. Your own `docker build` on this Docker Engine 20.10.24+dfsg1 uses "
        "the classic builder (the engine's answer to the docker CLI's ping names no builder, so the CLI "
        "picks its own default) unless you set DOCKER_BUILDKIT=1 or run `docker buildx build`."
    ]
    # An engine configured for BuildKit (daemon.json "features": {"buildkit": true}) says so.
    monkeypatch.setattr(build_module, "told_builder", lambda client: "2")
    said.clear()
    available_builders(engine, say=said.append)
    assert said[0].endswith(
        "uses BuildKit too (the engine answers the docker CLI's ping with `Builder-Version: 2`)."
    )


def test_on_podman_the_notebooks_get_buildah_and_are_told_so(monkeypatch):
    monkeypatch.setattr(buildkit, "buildkit_available", lambda client: pytest.fail("Podman is not probed"))
    said = []
    # What Podman 4.3.1's compatible API answers to GET /version (recorded through the Docker SDK).
    podman = type("Engine", (), {"version": lambda self: {"Components": [{"Name": "Podman Engine"}]}})()
    assert available_builders(podman, say=said.append) == ("buildah",)
    assert default_builder(podman) == "buildah"
    assert said[0].startswith("Builder: Buildah, Podman's builder behind its Docker-compatible API")


def test_a_stage_built_from_a_stage_has_no_from_vertex_and_its_steps_still_map(recordings, fixtures):
    # [test 1/1] is the RUN: the stage's `FROM base` is not counted by BuildKit.
    steps = parsed(recordings, fixtures, "from-stage", "from-stage").steps
    test = [s for s in steps if s.stage_name == "test"]
    assert [(s.number, s.instruction) for s in test] == [(5, "RUN cat /base.txt > /test.txt")]


def test_a_final_stage_on_scratch_keeps_its_copy(recordings, fixtures):
    """BuildKit makes no vertex for ``FROM scratch``: the stage's first vertex is its ``COPY``."""
    steps = parsed(recordings, fixtures, "scratch-final", "scratch-final").steps
    final = [s.instruction for s in steps if s.stage == 1]
    assert final == ["COPY --from=build /built.txt /built.txt"], final
    assert [s.keyword for s in steps if s.does_work] == ["RUN", "COPY"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("[build  1/12] RUN make", ("build", "1", "12", "RUN make")),
        ("[ 2/10] COPY . .", (None, "2", "10", "COPY . .")),
        ("[stage-1 3/4] WORKDIR /app", ("stage-1", "3", "4", "WORKDIR /app")),
    ],
)
def test_a_vertex_name_is_read_with_buildkits_padded_step_numbers(name, expected):
    """BuildKit pads a step's number to the width of the stage's total (ten steps or more)."""
    assert buildkit._VERTEX_STEP.match(name).groups() == expected


def test_a_dockerignore_that_excludes_itself_is_not_sent_and_the_dockerfile_always_is(tmp_path):
    # The sample apps' own pattern: the Dockerfiles and .dockerignore excluded (the Engine API
    # still needs the Dockerfile it builds; a later `!.dockerignore` brings the file back).
    (tmp_path / "Dockerfile.single").write_text("FROM scratch\n")
    (tmp_path / "app.js").write_text("x")
    (tmp_path / ".dockerignore").write_text("Dockerfile*\n.dockerignore\n")
    with tarfile.open(fileobj=io.BytesIO(context_tar(tmp_path, "Dockerfile.single"))) as tar:
        assert sorted(tar.getnames()) == ["Dockerfile.single", "app.js"]
    (tmp_path / ".dockerignore").write_text("Dockerfile*\n.dockerignore\n!.dockerignore\n")
    with tarfile.open(fileobj=io.BytesIO(context_tar(tmp_path, "Dockerfile.single"))) as tar:
        assert sorted(tar.getnames()) == [".dockerignore", "Dockerfile.single", "app.js"]
