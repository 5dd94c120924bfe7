"""Real builds through both builders: cache, failures, bad input, interruption."""

import contextlib
import dataclasses
import os
import signal
import socket
import threading
import time
import uuid

import docker
import pytest

from multistage import BuildFailed, EngineUnavailable, MultistageError, build
from multistage.apps import copy_app
from multistage.engine import connect
from multistage.experiments.overview import secret_mount
from multistage.profiles import active_profile
from multistage.progress import PROGRESS_FILE

builders = pytest.mark.parametrize("builder", ["classic", "buildkit"])


@builders
def test_rebuild_of_a_two_stage_dockerfile_is_fully_cached(client, app_copy, tagger, builder):
    app = app_copy("two-stage")
    # A fresh nonce makes the first build real even when an earlier run cached this fixture.
    (app / "message.txt").write_text(f"hello {uuid.uuid4()}\n")
    tag = tagger("two-stage")
    first = build(app, tag=tag, client=client, progress=False, builder=builder)
    second = build(app, tag=tag, client=client, progress=False, builder=builder)
    edited = [
        s
        for s in first.steps
        if s.instruction
        in ("COPY message.txt .", "RUN tr 'a-z' 'A-Z' < message.txt > shout.txt && echo \"built shout.txt\"")
    ]
    assert len(edited) == 2 and not any(s.cached for s in edited), first.to_dataframe()
    assert all(step.cached for step in second.steps), second.to_dataframe()
    assert second.image_id == first.image_id
    assert first.stages_run == {0, 1}
    assert first.profile_label == active_profile(client).label, "build() uses the active profile by default"
    assert tag in first.tags and first.size > 0


@builders
def test_the_image_carries_the_project_label_and_profile(client, app_copy, tagger, builder):
    report = build(
        app_copy("two-stage"), tag=tagger("labels"), client=client, progress=False, builder=builder
    )
    labels = client.images.get(report.image_id).labels
    assert labels["io.github.multistage-tutorial.project"] == "multistage-tutorial"
    assert labels["io.github.multistage-tutorial.base-profile"] == active_profile(client).label
    assert not any(s.instruction.startswith("LABEL io.github") for s in report.steps)


def test_a_profile_passed_in_is_the_one_the_image_and_report_name(client, app_copy, tagger):
    # The same images under another label: a build() that labelled with the active profile fails here.
    passed = dataclasses.replace(active_profile(client), name="mixed", stood_in=("example.invalid",))
    report = build(
        app_copy("two-stage"), tag=tagger("profile"), client=client, progress=False, profile=passed
    )
    label = client.images.get(report.image_id).labels["io.github.multistage-tutorial.base-profile"]
    assert label == report.profile_label == "official, with local stand-ins for example.invalid images"


@pytest.mark.alone  # compares every container on the engine before and after
@builders
def test_a_failing_step_raises_build_failed_naming_it(client, fixtures, builder):
    before = _container_ids(client)
    with pytest.raises(BuildFailed) as caught:
        build(fixtures / "failing", nocache=True, client=client, progress=False, builder=builder)
    assert caught.value.step == 'RUN echo "about to fail" && exit 3'
    assert caught.value.line == 5
    assert str(caught.value).startswith('`RUN echo "about to fail" && exit 3` (line 5) failed')
    assert ("returned a non-zero code: 3" if builder == "classic" else "exit code: 3") in str(caught.value)
    assert "about to fail" in caught.value.log_tail
    assert _container_ids(client) == before, "no containers are left behind"


@pytest.mark.alone  # compares every image on the engine before and after
@builders
def test_a_syntax_error_names_its_line_under_both_builders(client, fixtures, builder):
    images = set(client.api.images(all=True, quiet=True))
    with pytest.raises(BuildFailed) as caught:
        build(fixtures / "syntax-error", client=client, progress=False, builder=builder)
    assert caught.value.line == 5 and caught.value.step is None
    assert "unknown instruction: COPPY" in str(caught.value)
    assert set(client.api.images(all=True, quiet=True)) == images


def test_an_unknown_target_is_one_sentence_listing_the_stages(client, fixtures):
    with pytest.raises(MultistageError) as caught:
        build(fixtures / "two-stage", target="prod", client=client, progress=False, builder="buildkit")
    assert (
        str(caught.value)
        == "There is no stage 'prod'; this Dockerfile has: builder, 1 (FROM ${ALPINE_IMAGE})."
    )


def test_an_unknown_builder_is_refused(client, fixtures):
    with pytest.raises(MultistageError, match="use one of: buildkit, classic"):
        build(fixtures / "two-stage", client=client, progress=False, builder="kaniko")


@builders
@pytest.mark.parametrize(
    ("source", "missing", "step"),
    [("two-stage", "message.txt", "COPY message.txt ."), ("go", "go.sum", "COPY go.mod go.sum ./")],
)
def test_a_missing_file_names_the_step_and_the_path(
    client, app_copy, tmp_path, source, missing, step, builder
):
    # A test fixture and a sample app whose Dockerfile (the document's Go example) copies go.sum.
    app = app_copy(source) if source == "two-stage" else copy_app(source, tmp_path)
    (app / missing).unlink()
    with pytest.raises(BuildFailed) as caught:
        build(app, client=client, progress=False, builder=builder)
    assert caught.value.step == step
    assert missing in str(caught.value)


@pytest.mark.alone  # compares every container on the engine before and after
@builders
def test_interrupting_a_build_leaves_no_container_and_the_next_build_works(
    client, tmp_path, tagger, builder, request
):
    (tmp_path / "Dockerfile").write_text(
        f"ARG ALPINE_IMAGE=alpine:latest\nFROM ${{ALPINE_IMAGE}}\nRUN echo {uuid.uuid4().hex} && sleep 60\n"
    )
    before = _container_ids(client)
    # Interrupting a notebook kernel sends SIGINT to its main thread, and the kernel lives on.
    # Python's own handler, as in a kernel: a test run started in the background of a
    # non-interactive shell inherits SIGINT ignored, and would never see the interrupt.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    request.addfinalizer(lambda: signal.signal(signal.SIGINT, previous))
    main = threading.main_thread().ident
    threading.Timer(3, signal.pthread_kill, (main, signal.SIGINT)).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        build(tmp_path, nocache=True, client=client, progress=False, builder=builder)
    assert time.monotonic() - started < 30, "the interrupt must stop the build, not wait for it"
    deadline = time.monotonic() + 20
    while _container_ids(client) - before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _container_ids(client) == before
    after_step = f"RUN echo {uuid.uuid4().hex}"
    (tmp_path / "Dockerfile").write_text(
        f"ARG ALPINE_IMAGE=alpine:latest\nFROM ${{ALPINE_IMAGE}}\n{after_step}\n"
    )
    after = build(tmp_path, tag=tagger("after-interrupt"), client=client, progress=False, builder=builder)
    assert not after.step_starting(after_step).cached, "the next build runs its own step"


def _container_ids(client) -> set[str]:
    # One API call: listing through the high-level API races with the engine removing containers.
    return {c["Id"] for c in client.api.containers(all=True)}


# --- error paths, tried as a user would ---------------------------------------------------


class _SocketProxy:
    """A unix-socket proxy to the engine that can be cut, as when the engine stops mid-build."""

    def __init__(self, target: str, path: str):
        self.target, self.path = target, path
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                inner, _ = self.server.accept()
            except OSError:
                return
            outer = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            outer.connect(self.target)
            self.pairs.append((inner, outer))
            for a, b in ((inner, outer), (outer, inner)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass

    def cut(self):
        self.server.close()
        for pair in self.pairs:
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()


@pytest.mark.alone  # compares every container on the engine before and after
@builders
def test_an_engine_that_stops_mid_build_is_one_sentence_naming_the_running_step(
    client, tmp_path, monkeypatch, builder
):
    socket_path = getattr(client.api.adapters.get("http+docker://"), "socket_path", None)
    if socket_path is None:
        pytest.skip("the engine is not on a unix socket, which the cut is made on")
    proxy = _SocketProxy(socket_path, str(tmp_path / "engine.sock"))
    cut_client = docker.DockerClient(base_url=f"unix://{tmp_path / 'engine.sock'}", timeout=600)
    (tmp_path / "Dockerfile").write_text(
        f"ARG ALPINE_IMAGE=alpine:latest\nFROM ${{ALPINE_IMAGE}}\nRUN echo {uuid.uuid4().hex} && sleep 60\n"
    )
    # The build announces each step it starts; the engine is cut once the sleep is running.
    announced = tmp_path / "progress"
    monkeypatch.setenv(PROGRESS_FILE, str(announced))
    threading.Thread(target=_cut_when, args=(announced, "sleep 60", proxy), daemon=True).start()
    before = _container_ids(client)
    try:
        with pytest.raises(EngineUnavailable) as caught:
            build(tmp_path, nocache=True, client=cut_client, progress=False, builder=builder)
    finally:
        proxy.cut()
        cut_client.close()
    assert "stopped answering during the build" in str(caught.value)
    assert "sleep 60` was running" in str(caught.value)
    deadline = time.monotonic() + 30
    while _container_ids(client) - before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _container_ids(client) == before, "the engine cancels the build once the client is gone"


def _cut_when(announced, text: str, proxy: _SocketProxy, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if announced.is_file() and text in announced.read_text():
            time.sleep(1)  # well inside the step
            break
        time.sleep(0.2)
    proxy.cut()


@builders
def test_copy_from_a_stage_that_does_not_exist_names_it_and_the_stages(client, tmp_path, builder):
    (tmp_path / "Dockerfile").write_text(
        "ARG ALPINE_IMAGE=alpine:latest\nFROM ${ALPINE_IMAGE} AS build\nRUN echo hi > /out\n"
        "FROM ${ALPINE_IMAGE}\nCOPY --from=nope /out /out\n"
    )
    with pytest.raises(BuildFailed) as caught:
        build(tmp_path, client=client, progress=False, builder=builder)
    message = str(caught.value).splitlines()[0]
    assert "there is no stage named 'nope' (COPY --from=nope was taken as an image name" in message
    assert message.endswith("stages: build, 1 (FROM ${ALPINE_IMAGE})")


@builders
def test_a_build_the_engine_refuses_as_it_starts_is_build_failed_and_closes_its_files(
    client, app_copy, tmp_path, builder
):
    record = tmp_path / "stream.jsonl"
    with pytest.raises(BuildFailed) as caught:
        build(app_copy("two-stage"), tag="Not A Valid Tag", client=client, record=record, builder=builder)
    assert "invalid" in str(caught.value).lower() and "reference" in str(caught.value).lower()
    assert record.exists()
    open_files = {os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd") if _is_link(fd)}
    assert str(record) not in open_files, "the recording is closed"


def _is_link(fd: str) -> bool:
    return os.path.islink(f"/proc/self/fd/{fd}")


def test_without_the_buildx_plugin_the_secret_mount_says_why_in_one_sentence(cli_without_buildx):
    """Engine 20.10 from Debian 12 has no buildx plugin: 00's secret-mount cell says so and builds nothing."""
    fresh = connect()  # the builder paths are probed once per client
    mounted = secret_mount(fresh, progress=False)
    assert mounted.report is None and mounted.token_files == []
    assert mounted.summary() == (
        "Not built here: `docker buildx` cannot build on this engine, and build secrets need it."
    ), mounted.summary()
