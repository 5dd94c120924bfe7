"""hadolint on the sample Dockerfiles, and the charts and graphs drawn from BuildKit reports (no engine)."""

import matplotlib

matplotlib.use("Agg")

from multistage.apps import APPS  # noqa: E402
from multistage.charts import (
    stage_graph,
    timeline,  # noqa: E402
)
from multistage.dockerfile import parse_stages  # noqa: E402
from multistage.experiments.named_stages import stage_use  # noqa: E402
from multistage.lint import hadolint, resolve_from_lines, sample_dockerfiles, serious  # noqa: E402
from multistage.results import Step  # noqa: E402


def test_from_lines_get_the_arg_defaults_and_nothing_else_changes():
    # A variable outside the FROM lines too: only FROM lines may change.
    text = APPS["go"].dockerfile_text("multi") + "LABEL base=${ALPINE_IMAGE}\n"
    resolved = resolve_from_lines(text)
    assert "FROM alpine:latest\n" in resolved and "FROM golang:1.21 AS builder\n" in resolved
    others = [line for line in text.splitlines() if not line.startswith("FROM")]
    assert [line for line in resolved.splitlines() if not line.startswith("FROM")] == others
    assert "LABEL base=${ALPINE_IMAGE}" in others


def test_hadolint_flags_the_documents_latest_tag_and_not_our_best_files():
    document = hadolint(sample_dockerfiles(("multi",)))
    go = document[document["dockerfile"] == "go/Dockerfile"]
    latest = go[go["code"] == "DL3007"]
    assert (
        len(latest) == 1
        and "FROM" in APPS["go"].dockerfile_text("multi").splitlines()[latest["line"].iloc[0] - 1]
    )
    best = hadolint(sample_dockerfiles(("best",)))
    assert serious(best).empty, best
    assert not best.empty, "the Node image's `USER node` is an info note: the check sees our files"


def test_a_dockerfile_hadolint_cannot_parse_is_a_finding_not_a_crash():
    findings = hadolint({"broken": "FROM scratch\nNOT AN INSTRUCTION\n"})
    assert list(findings["code"]) == ["DL1000"]


def test_timeline_has_a_panel_per_builder_and_a_measured_title(recorded_report):
    reports = {b: recorded_report("unused-stage", b) for b in ("classic", "buildkit")}
    fig = timeline(reports)
    # The fixture's unused stage sleeps; BuildKit skips it and the classic builder runs it.
    assert fig._suptitle.get_text().startswith("buildkit finished")
    # Each bar starts when its step started: overlapping bars are steps that ran at the same time.
    starts = [bar.get_x() for bar in fig.axes[1].patches]
    assert starts == [step.start for step in reports["buildkit"].steps] and len(set(starts)) > 1


def test_stage_graph_of_a_report_shows_the_stages_that_ran(recorded_report):
    report = recorded_report("unused-stage", "buildkit")
    fig = stage_graph(parse_stages(report.dockerfile_text), report=report)
    assert fig.axes[0].get_title() == (
        "buildkit: building `unnamed #2` used 2 of 3 stages (2 steps ran, 0 from the cache)"
    )


def test_stage_use_says_what_each_build_did_with_each_stage(recorded_report):
    reports = {builder: recorded_report("unused-stage", builder) for builder in ("classic", "buildkit")}
    use = stage_use(reports, parse_stages(reports["buildkit"].dockerfile_text))
    assert use.loc["buildkit"].tolist() == ["not built", "1 ran", "1 ran"]
    assert "not built" not in use.loc["classic"].tolist(), "the classic builder builds every stage"


def test_stage_use_tells_a_stage_used_without_a_step_that_builds_from_one_not_built(recorded_report):
    report = recorded_report("unused-stage", "classic")
    text = "FROM alpine AS config\nENV A=1\nFROM config AS app\nRUN true\nFROM alpine AS unused\nRUN true\n"
    report.steps = [
        Step(1, 0, "config", "FROM alpine AS config", True, 0.0),
        Step(2, 0, "config", "ENV A=1", False, 0.1),
        Step(3, 1, "app", "FROM config AS app", True, 0.0),
        Step(4, 1, "app", "RUN true", False, 0.2),
    ]
    use = stage_use({"classic": report}, parse_stages(text))
    assert use.loc["classic"].tolist() == ["used, nothing to build", "1 ran", "not built"]
