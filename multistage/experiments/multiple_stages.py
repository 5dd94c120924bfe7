"""Experiments of notebook 05 (copying from multiple stages): how long each stage took, per builder."""

from __future__ import annotations

import tempfile
from pathlib import Path

import docker
import pandas as pd

from ..build import available_builders, build
from ..engine import client_or_connect
from ..progress import experiment, quiet
from ..results import BuildReport

__all__ = ["SLEEPING_STAGES", "sleeping_stages", "stage_times"]

#: Two stages that only sleep, and a final stage that copies from both: whether a builder runs
#: independent stages at the same time shows in the wall time, by design, not by luck.
SLEEPING_STAGES = """\
ARG ALPINE_IMAGE=alpine:latest
ARG SLEEP_SECONDS=5

FROM ${ALPINE_IMAGE} AS left
ARG SLEEP_SECONDS
RUN sleep "${SLEEP_SECONDS}" && echo left > /left.txt

FROM ${ALPINE_IMAGE} AS right
ARG SLEEP_SECONDS
RUN sleep "${SLEEP_SECONDS}" && echo right > /right.txt

FROM ${ALPINE_IMAGE}
COPY --from=left /left.txt /
COPY --from=right /right.txt /
"""


def sleeping_stages(
    seconds: int = 5,
    builders: tuple[str, ...] | None = None,
    client: docker.DockerClient | None = None,
    progress: bool = True,
) -> dict[str, BuildReport]:
    """Build :data:`SLEEPING_STAGES` without the cache, once per builder.

    Each of the two independent stages sleeps ``seconds``: a builder that runs them at the same
    time needs about ``seconds``; one that runs them one after the other, at least twice that.

    Returns:
        Builder -> its :class:`BuildReport`.
    """
    client = client_or_connect(client)
    reports = {}
    with tempfile.TemporaryDirectory(prefix="multistage-sleeping-stages-") as tmp:
        Path(tmp, "Dockerfile").write_text(SLEEPING_STAGES)
        for builder in builders or available_builders(client, say=quiet):
            with experiment(f"two stages that sleep {seconds} s each ({builder})"):
                reports[builder] = build(
                    tmp,
                    client=client,
                    builder=builder,
                    nocache=True,
                    build_args={"SLEEP_SECONDS": str(seconds)},
                    progress=progress,
                )
    return reports


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
