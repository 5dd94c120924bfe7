"""Experiments of notebook 05 (copying from multiple stages): how long each stage took, per builder."""

from __future__ import annotations

import pandas as pd

from ..results import BuildReport

__all__ = ["stage_times"]


def stage_times(reports: dict[str, BuildReport], stages: tuple[str, ...]) -> pd.DataFrame:
    """Per build: each stage's span (first step's start to last step's end), their sum, and the wall time.

    ``overlap`` is how long all of them were running at once, from the steps' own start and end
    times: BuildKit stamps each step as it runs; the classic builder's (and Buildah's) stream
    gives one step after another, so theirs is zero by construction.

    Args:
        reports: Label (e.g. the builder) -> the build.
        stages: The stages to time, by name.

    Returns:
        One row per build: seconds per stage, ``sum of stages``, ``overlap``, ``wall time``.
    """
    rows = {}
    for label, report in reports.items():
        spans = {stage: report.stage_span(stage) for stage in stages}
        row = {stage: round(end - start, 1) for stage, (start, end) in spans.items()}
        row["sum of stages"] = round(sum(end - start for start, end in spans.values()), 1)
        together = min(end for _, end in spans.values()) - max(start for start, _ in spans.values())
        row["overlap"] = round(max(0.0, together), 1)
        row["wall time"] = round(report.seconds, 1)
        rows[label] = row
    return pd.DataFrame(rows).T.rename_axis("seconds")
