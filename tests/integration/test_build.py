"""Real builds through the classic builder: cache, failures, interruption."""

import signal
import threading
import time
import uuid

import pytest

from multistage import BuildFailed, build
from multistage.apps import copy_app


def test_rebuild_of_a_two_stage_dockerfile_is_fully_cached(client, app_copy, tagger):
    app = app_copy("two-stage")
    # A fresh nonce makes the first build real even when an earlier run cached this fixture.
    (app / "message.txt").write_text(f"hello {uuid.uuid4()}\n")
    tag = tagger("two-stage")
    first = build(app, tag=tag, client=client, progress=False)
    second = build(app, tag=tag, client=client, progress=False)
    edited = [
        s
        for s in first.steps
        if s.instruction
        in ("COPY message.txt .", "RUN tr 'a-z' 'A-Z' < message.txt > shout.txt && echo \"built shout.txt\"")
    ]
    assert len(edited) == 2 and not any(s.cached for s in edited), first.to_dataframe()
    assert all(step.cached for step in second.steps), second.to_dataframe()
    assert second.image_id == first.image_id
    assert [s.stage_name for s in first.steps if s.keyword == "FROM"] == ["builder", None]
    assert first.builder == "classic" and first.profile in ("local", "official")
    assert tag in first.tags and first.size > 0
    frame = first.to_dataframe()
    assert list(frame.columns) == ["number", "stage", "stage_name", "instruction", "cached", "seconds"]
    assert len(frame) == len(first.steps)


def test_the_image_carries_the_project_label_and_profile(client, app_copy, tagger):
    report = build(app_copy("two-stage"), tag=tagger("labels"), client=client, progress=False)
    labels = client.images.get(report.image_id).labels
    assert labels["io.github.multistage-tutorial.project"] == "multistage-tutorial"
    assert labels["io.github.multistage-tutorial.base-profile"] == report.profile
    assert not any(s.instruction.startswith("LABEL io.github") for s in report.steps)


def test_a_failing_step_raises_build_failed_naming_it(client, fixtures):
    before = _container_ids(client)
    with pytest.raises(BuildFailed) as caught:
        build(fixtures / "failing", nocache=True, client=client, progress=False)
    assert caught.value.step == 'RUN echo "about to fail" && exit 3'
    assert "returned a non-zero code: 3" in str(caught.value)
    assert "about to fail" in caught.value.log_tail
    assert _container_ids(client) == before, "forcerm leaves no containers"


@pytest.mark.parametrize(
    ("source", "missing", "step"),
    [("two-stage", "message.txt", "COPY message.txt ."), ("go", "go.sum", "COPY go.mod go.sum ./")],
)
def test_a_missing_file_names_the_step_and_the_path(client, app_copy, tmp_path, source, missing, step):
    # A test fixture and a sample app whose Dockerfile (the document's Go example) copies go.sum.
    app = app_copy(source) if source == "two-stage" else copy_app(source, tmp_path)
    (app / missing).unlink()
    with pytest.raises(BuildFailed) as caught:
        build(app, client=client, progress=False)
    assert caught.value.step == step
    assert missing in str(caught.value)


def test_interrupting_a_build_leaves_no_container_and_the_next_build_works(client, tmp_path, tagger):
    (tmp_path / "Dockerfile").write_text(
        f"ARG ALPINE_IMAGE=alpine:latest\nFROM ${{ALPINE_IMAGE}}\nRUN echo {uuid.uuid4().hex} && sleep 60\n"
    )
    before = _container_ids(client)
    # Interrupting a notebook kernel sends SIGINT to its main thread, and the kernel lives on.
    main = threading.main_thread().ident
    threading.Timer(3, signal.pthread_kill, (main, signal.SIGINT)).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        build(tmp_path, nocache=True, client=client, progress=False)
    assert time.monotonic() - started < 30, "the interrupt must stop the build, not wait for it"
    deadline = time.monotonic() + 20
    while _container_ids(client) - before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _container_ids(client) == before
    (tmp_path / "Dockerfile").write_text("ARG ALPINE_IMAGE=alpine:latest\nFROM ${ALPINE_IMAGE}\nRUN true\n")
    assert build(tmp_path, tag=tagger("after-interrupt"), client=client, progress=False).image_id


def _container_ids(client) -> set[str]:
    # One API call: listing through the high-level API races with the engine removing containers.
    return {c["Id"] for c in client.api.containers(all=True)}
