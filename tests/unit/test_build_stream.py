"""Parsing of real classic-builder streams recorded by tests/unit/recordings/record.py."""

import pytest

from multistage import classic
from multistage.build import read_recording
from multistage.dockerfile import global_args, image_bases, parse_stages


def test_cold_build_has_every_step_with_stage_and_nothing_cached(recordings):
    parsed = classic.parse(read_recording(recordings / "two-stage-cold.jsonl"))
    assert parsed.error is None and parsed.image_id.startswith("sha256:")
    instructions = [s.instruction for s in parsed.steps]
    assert instructions[:3] == [
        "ARG ALPINE_IMAGE=alpine:latest",
        "FROM ${ALPINE_IMAGE} AS builder",
        "WORKDIR /src",
    ]
    assert [s.stage for s in parsed.steps[:3]] == [-1, 0, 0]
    assert parsed.steps[1].stage_name == "builder"
    final_from = next(s for s in parsed.steps if s.instruction == "FROM ${ALPINE_IMAGE}")
    assert final_from.stage == 1 and final_from.stage_name is None
    work = [s for s in parsed.steps if s.does_work and s.keyword != "LABEL"]
    assert work and not any(s.cached for s in work)
    assert parsed.total_steps == len(parsed.steps)


def test_of_the_image_ids_a_multi_stage_stream_reports_the_last_is_the_image(recordings):
    messages = read_recording(recordings / "two-stage-cold.jsonl")
    first, *_, last = [m["aux"]["ID"] for _, m in messages if "aux" in m]  # one per stage
    assert classic.parse(messages).image_id == last != first


def test_rebuild_without_changes_is_all_cached_and_fast(recordings):
    cold = classic.parse(read_recording(recordings / "two-stage-cold.jsonl"))
    cached = classic.parse(read_recording(recordings / "two-stage-cached.jsonl"))
    assert all(s.cached for s in cached.steps)
    assert sum(s.seconds for s in cached.steps) < sum(s.seconds for s in cold.steps)


def test_step_seconds_run_from_header_to_next_header(recordings):
    messages = read_recording(recordings / "two-stage-cold.jsonl")
    parsed = classic.parse(messages)
    run = next(s for s in parsed.steps if s.keyword == "RUN")
    headers = [t for t, m in messages if m.get("stream", "").startswith("Step ")]
    index = parsed.steps.index(run)
    assert run.seconds == pytest.approx(headers[index + 1] - headers[index], abs=1e-3)


def test_header_and_newline_in_separate_chunks_are_joined():
    messages = [
        (0.0, {"stream": "Step 1/2 : FROM x"}),
        (0.0, {"stream": "\n"}),
        (0.1, {"stream": "Step 2/2 : RUN "}),
        (0.2, {"stream": "true\n ---> Using cache\n"}),
        (0.3, {"aux": {"ID": "sha256:abc"}}),
    ]
    parsed = classic.parse(messages)
    assert [s.instruction for s in parsed.steps] == ["FROM x", "RUN true"]
    assert parsed.steps[1].cached


def test_failing_step_is_named_with_the_engine_error(recordings):
    parsed = classic.parse(read_recording(recordings / "failing.jsonl"))
    assert parsed.image_id is None
    assert parsed.steps[-1].instruction == 'RUN echo "about to fail" && exit 3'
    assert "returned a non-zero code: 3" in parsed.error
    assert "about to fail" in parsed.log


def test_progress_callback_sees_each_step(recordings):
    seen = []
    classic.parse(
        read_recording(recordings / "failing.jsonl"),
        on_step=lambda n, total, instruction: seen.append((n, total)),
    )
    assert seen == [(1, 7), (2, 7), (3, 7), (4, 7)]


DOCKERFILE = """\
# comment
ARG GOLANG_IMAGE=golang:1.21
ARG ALPINE_IMAGE=alpine:latest
FROM ${GOLANG_IMAGE} AS builder
ARG INSIDE=ignored
RUN echo a \\
    && echo b
FROM builder AS again
FROM scratch AS empty
FROM $ALPINE_IMAGE
"""


def test_global_args_are_those_before_the_first_from():
    assert global_args(DOCKERFILE) == {"GOLANG_IMAGE": "golang:1.21", "ALPINE_IMAGE": "alpine:latest"}


def test_bases_substitute_args_and_skip_stages_and_scratch():
    assert image_bases(parse_stages(DOCKERFILE)) == ["golang:1.21", "alpine:latest"]
    assert image_bases(parse_stages(DOCKERFILE, {"ALPINE_IMAGE": "x/y:1"})) == ["golang:1.21", "x/y:1"]
