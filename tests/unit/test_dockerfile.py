"""Stages of real sample Dockerfiles: names, bases, COPY --from edges, what a target needs."""

import pytest

from multistage.apps import APPS
from multistage.dockerfile import (
    check_instructions,
    copies_by_position,
    has_heredocs,
    instructions,
    numbered_instructions,
    parse_stages,
    reachable,
    substitute,
    without_cache_mounts,
)
from multistage.errors import MultistageError, UnknownName
from multistage.experiments.best_practices import move_stage_last


def test_named_stages_of_the_node_app():
    stages = parse_stages(APPS["node"].dockerfile_text("stages"))
    assert [s.label for s in stages] == ["dependencies", "build", "test", "production"]
    assert stages[0].base == "node:18" and stages[3].base == "node:18-alpine"
    assert stages[1].copies_from == [0] and stages[2].copies_from == [1] and stages[3].copies_from == [0, 1]


def test_production_does_not_need_the_test_stage_which_buildkit_would_skip():
    stages = parse_stages(APPS["node"].dockerfile_text("stages"))
    assert reachable(stages) == {0, 1, 3}
    assert reachable(stages, "test") == {0, 1, 2}


def test_from_an_earlier_stage_is_an_edge_and_build_args_resolve_bases():
    stages = parse_stages(APPS["python"].dockerfile_text("best"), {"PYTHON_IMAGE": "x/py:1"})
    assert [s.label for s in stages] == ["build", "test", "production"]
    assert stages[0].base == "x/py:1" and stages[1].base_stage == 0
    assert reachable(stages) == {0, 1, 2}, "production copies app.py from test, so tests always run"


def test_two_independent_builders_feed_the_final_stage():
    stages = parse_stages(APPS["fullstack"].dockerfile_text("multi"))
    assert [s.label for s in stages] == ["api", "web", "2"]
    assert stages[2].copies_from == [0, 1] and reachable(stages, "api") == {0}


def test_an_unknown_target_lists_the_stages_that_exist():
    stages = parse_stages(APPS["node"].dockerfile_text("stages"))
    with pytest.raises(
        MultistageError, match="no stage 'prod'; this Dockerfile has: dependencies, build, test, production"
    ):
        reachable(stages, "prod")


def test_an_unknown_instruction_or_no_from_is_refused_in_one_sentence():
    with pytest.raises(
        MultistageError,
        match=r"^Dockerfile line 2: `RUNN` is not a Dockerfile instruction; did you mean RUN\?$",
    ):
        check_instructions("FROM alpine\nRUNN echo hi\n")
    with pytest.raises(MultistageError, match="has no FROM line"):
        check_instructions("RUN echo hi\n")
    check_instructions("ARG X=1\nFROM alpine AS build\nHEALTHCHECK NONE\n")


def test_heredoc_bodies_are_part_of_their_instruction_not_instructions_of_their_own():
    text = (
        "# syntax=docker/dockerfile:1.4\nFROM golang:1.21 AS build\n"
        "RUN <<EOF\nset -e\ngo vet ./...\nEOF\n"
        "COPY <<-'CONF' /etc/app.conf\n\tlisten 8080\n\tCONF\n"
        "FROM scratch\nCOPY --from=build /out /out\n"
    )
    check_instructions(text)
    found = numbered_instructions(text)
    assert [(i.number, i.keyword, i.line) for i in found] == [
        (1, "FROM", 2),
        (2, "RUN", 3),
        (3, "COPY", 7),
        (4, "FROM", 10),
        (5, "COPY", 11),
    ]
    assert found[1].value == "<<EOF\nset -e\ngo vet ./...\nEOF"
    assert [s.name for s in parse_stages(text)] == ["build", None]


def test_without_cache_mounts_leaves_every_instruction_and_only_drops_the_mounts():
    text = APPS["go"].dockerfile_text("best")
    plain = without_cache_mounts(text)
    assert "--mount" not in plain and text.count("--mount=type=cache") == 3
    assert [kind for kind, _ in instructions(plain)] == [kind for kind, _ in instructions(text)]
    assert "RUN go mod download" in plain
    assert "RUN go test -trimpath ./... \\\n && CGO_ENABLED=0" in plain


def test_move_stage_last_keeps_every_stage_and_only_moves_the_one_named():
    text = APPS["node"].dockerfile_text("stages")
    moved = move_stage_last(text, "test")
    assert [s.label for s in parse_stages(moved)] == ["dependencies", "build", "production", "test"]
    assert sorted(moved.split()) == sorted(text.split()), "the same instructions, in another order"
    with pytest.raises(KeyError):
        move_stage_last(text, "docs")


def test_a_heredoc_opened_on_a_continuation_line_belongs_to_its_instruction():
    text = (
        "FROM golang:1.22 AS vendored\n"
        "RUN --mount=target=/context \\\n"
        "    --mount=type=cache,target=/go/pkg/mod <<EOT\n"
        "  set -e\n"
        "  go mod vendor\n"
        "EOT\n"
        "FROM scratch\n"
    )
    check_instructions(text)
    run = numbered_instructions(text)[1]
    assert run.keyword == "RUN" and run.line == 2 and run.value.endswith("set -e\n  go mod vendor\nEOT")
    assert [item.keyword for item in numbered_instructions(text)] == ["FROM", "RUN", "FROM"]


def test_one_arg_substitution_for_every_reader():
    assert substitute("golang:${GO}-$DISTRO", {"GO": "1.22", "DISTRO": ""}) == "golang:1.22-"
    assert substitute("golang:${GO}-$DISTRO", {"GO": "1.22"}, keep_unknown=True) == "golang:1.22-$DISTRO"


def test_heredocs_are_seen_on_any_line_of_an_instruction_and_not_in_a_continued_word():
    assert has_heredocs("FROM x\nRUN --mount=type=cache,target=/c \\\n    <<EOT\necho hi\nEOT\n")
    continued = "FROM x\nRUN apt-get update && \\\n    add-apt-repository ppa:x && \\\n    true\n"
    assert not has_heredocs(continued)
    assert without_cache_mounts("RUN --mount=target=/c,type=cache go build\n") == "RUN go build\n"


def test_copies_that_name_a_stage_by_position_are_found_and_names_are_not():
    text = "FROM a AS build\nFROM b\nCOPY --from=0 /x /x\nCOPY --from=build /y /y\nADD --from=1 /z /z\n"
    assert [item.text for item in copies_by_position(text)] == ["COPY --from=0 /x /x", "ADD --from=1 /z /z"]


def test_substitute_reads_defaults_and_alternatives_as_the_dockerfile_reference_does():
    args = {"GO": "1.22", "EMPTY": ""}
    assert substitute("golang:${GO:-1.21}", args) == "golang:1.22"
    assert substitute("golang:${MISSING:-1.21}-alpine", args) == "golang:1.21-alpine"
    assert substitute("x${EMPTY:-d}", args) == "xd" and substitute("x${EMPTY-d}", args) == "x"
    assert substitute("a${GO:+-go}b", args) == "a-gob" and substitute("a${MISSING:+-go}b", args) == "ab"
    assert substitute("$GO/${GO}", args) == "1.22/1.22"
    assert substitute("${MISSING}", args, keep_unknown=True) == "${MISSING}"


def test_one_stage_of_a_sample_dockerfile_can_be_shown_alone():
    shown = APPS["go"].listing("best", stage="production")
    assert shown.text.startswith("FROM scratch AS production\n") and "--mount" not in shown.text
    assert shown.title == "go/Dockerfile.best, stage production"
    with pytest.raises(UnknownName, match="has no stage 'prod'"):
        APPS["go"].listing("best", stage="prod")
