"""Experiments of notebook 05 (copying from multiple stages): how long each stage took, per builder."""

from __future__ import annotations

import pandas as pd

from ..results import BuildReport

__all__ = ["stage_times"]


def stage_times(reports: dict[str, BuildReport], stages: tuple[str, ...]) -> pd.DataFrame:
    """Per build: each stage's span (first step's start to last step's end), their sum, and the wall time.

    When the stages ran one after the other, the wall time is at least their sum; when they
    ran at the same time, it is less.

    Args:
        reports: Label (e.g. the builder) -> the build.
        stages: The stages to time, by name.

    Returns:
        One row per build: seconds per stage, ``sum of stages``, ``wall time``.
    """
    rows = {}
    for label, report in reports.items():
        spans = {stage: report.stage_span(stage) for stage in stages}
        row = {stage: round(end - start, 1) for stage, (start, end) in spans.items()}
        row["sum of stages"] = round(sum(end - start for start, end in spans.values()), 1)
        row["wall time"] = round(report.seconds, 1)
        rows[label] = row
    return pd.DataFrame(rows).T.rename_axis("seconds")
