"""Error messages a user meets, built from recorded streams and plain input (no engine needed)."""

import pytest

from multistage import build
from multistage.apps import APPS
from multistage.build import _failure, read_recording
from multistage.classic import parse
from multistage.dockerfile import parse_stages, reachable
from multistage.errors import MultistageError
from multistage.exercises import check_one_dockerfile
from multistage.results import LOG_TAIL, ParsedStream, Step


def test_a_dockerfile_that_is_not_utf8_names_the_file_and_the_byte(tmp_path):
    (tmp_path / "Dockerfile").write_bytes("FROM scratch\nLABEL caf\xe9=1\n".encode("latin-1"))
    with pytest.raises(MultistageError) as caught:
        build(tmp_path, progress=False)  # refused before any engine is asked
    assert str(caught.value) == (
        f"{tmp_path / 'Dockerfile'} is not UTF-8 text (byte 22 is 0xe9); save it as UTF-8 and build again."
    )


def test_an_unknown_target_among_unnamed_stages_lists_them_by_index_and_from_line():
    stages = parse_stages("FROM alpine:3.19\nRUN true\nFROM scratch\nCOPY --from=0 /etc/os-release /\n")
    with pytest.raises(MultistageError) as caught:
        reachable(stages, "prod")
    assert str(caught.value) == (
        "There is no stage 'prod'; this Dockerfile has: 0 (FROM alpine:3.19), 1 (FROM scratch)."
    )


def test_a_failing_step_is_named_with_its_line_and_log_tail(recordings, fixtures):
    text = (fixtures / "failing" / "Dockerfile").read_text()
    parsed = parse(read_recording(recordings / "failing.jsonl"))
    error = _failure(parsed, text, "classic")
    assert str(error).startswith('`RUN echo "about to fail" && exit 3` (line 5) failed under the classic')
    assert error.line == 5 and error.step == 'RUN echo "about to fail" && exit 3'
    assert "about to fail" in error.log_tail


def test_a_long_log_shows_its_last_lines_and_keeps_them_all():
    text = "FROM alpine\nRUN ./build.sh\n"
    log = [f"line {n}" for n in range(40)]
    step = Step(2, 0, None, "RUN ./build.sh", False, 1.0)
    error = _failure(ParsedStream([step], None, "exit code: 1", log, 2, step), text, "buildkit")
    assert error.log_tail == log[-LOG_TAIL:] and LOG_TAIL < len(log)
    assert error.log == log


def test_an_unknown_copy_source_in_the_engine_error_is_named_as_a_missing_stage():
    text = "FROM alpine AS build\nRUN true\nFROM alpine\nCOPY --from=nope /x /x\n"
    parsed = ParsedStream([], None, "pull access denied for nope, repository does not exist", [], None)
    message = str(_failure(parsed, text, "classic", parse_stages(text)))
    assert "there is no stage named 'nope' (COPY --from=nope was taken as an image name" in message
    assert message.endswith("stages: build, 1 (FROM alpine)")


def test_the_one_dockerfile_checker_rejects_a_single_stage_before_building(capsys):
    single = (APPS["go"].path / "builder-pattern" / "Dockerfile.build").read_text()
    result = check_one_dockerfile(single, pattern=None, client=None)  # no engine is asked
    assert not result.passed and "one stage" in result.message
    assert capsys.readouterr().out.startswith("❌ NOT YET: this Dockerfile has one stage")
