"""Experiments of notebook 04 (named stages): which stages each builder runs, and what that skips."""

from __future__ import annotations

import uuid

import docker
import pandas as pd

from ..apps import APPS, build_text
from ..build import available_builders
from ..dockerfile import Stage
from ..engine import client_or_connect
from ..errors import BuildFailed
from ..progress import experiment, quiet
from ..results import BuildReport

__all__ = [
    "FAILING_TESTS",
    "skipped_tests",
    "slow_unused_stage",
    "stage_use",
]

#: App -> (path, content) of a test that always fails: added to a copy of the app to see
#: which builds really run the tests.
FAILING_TESTS = {
    "node": (
        "test/deliberately-failing.test.ts",
        'test("fails on purpose", () => {\n  expect(1 + 1).toBe(3);\n});\n',
    ),
    "go": (
        "zz_deliberately_failing_test.go",
        'package main\n\nimport "testing"\n\nfunc TestFailsOnPurpose(t *testing.T) {\n\tt.Fatal("fails on purpose")\n}\n',
    ),
}


def skipped_tests(
    variants: tuple[str, ...] = ("stages", "gated"),
    builders: tuple[str, ...] | None = None,
    client: docker.DockerClient | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Build the Node app's ``--target production`` with a deliberately failing test, per Dockerfile and builder.

    A build that ships an image although a test fails has skipped its tests.

    ``builders``: ``None`` takes every builder the engine offers.

    Returns:
        One row per (dockerfile, builder): ``image_built``, ``failed_step`` and ``seconds``,
        indexed by ``(dockerfile, builder)``.
    """
    app = APPS["node"]
    path, content = FAILING_TESTS["node"]
    client = client_or_connect(client)
    builders = builders or available_builders(client, say=quiet)
    rows = []
    for variant in variants:
        for builder in builders:
            row: dict[str, object] = {"dockerfile": app.dockerfiles[variant], "builder": builder}
            try:
                with experiment(f"failing test · {app.dockerfiles[variant]} ({builder})"):
                    report = build_text(
                        app,
                        app.dockerfile_text(variant),
                        files={path: content},
                        target="production",
                        builder=builder,
                        client=client,
                        progress=progress,
                    )
                row.update(image_built=True, failed_step=None, seconds=round(report.seconds, 1))
            except BuildFailed as exc:
                row.update(
                    image_built=False,
                    failed_step=exc.step,
                    seconds=round(exc.seconds, 1) if exc.seconds is not None else float("nan"),
                )
            rows.append(row)
    return pd.DataFrame(rows).set_index(["dockerfile", "builder"])


def slow_unused_stage(
    seconds: int = 10,
    builders: tuple[str, ...] | None = None,
    client: docker.DockerClient | None = None,
    progress: bool = True,
) -> dict[str, BuildReport]:
    """Build the Node app's ``Dockerfile.slow-stage`` for ``--target production``, per builder.

    Production does not need the ``docs`` stage, whose step sleeps ``seconds``. Each builder
    first builds once to warm its own cache (the two builders keep separate caches); the
    measured build then gets a fresh ``DOCS_NONCE``, so only the docs step is new.

    ``builders``: ``None`` takes every builder the engine offers.

    Returns:
        Builder -> the measured :class:`BuildReport`.
    """
    app = APPS["node"]
    client = client_or_connect(client)
    builders = builders or available_builders(client, say=quiet)
    reports = {}
    for builder in builders:
        options = {"target": "production", "builder": builder, "client": client, "progress": progress}
        with experiment(f"unused {seconds} s stage ({builder}) · warm-up"):
            app.build(
                "slow-stage", build_args={"DOCS_SECONDS": str(seconds), "DOCS_NONCE": "warm-up"}, **options
            )
        nonce = {"DOCS_SECONDS": str(seconds), "DOCS_NONCE": uuid.uuid4().hex[:12]}
        with experiment(f"unused {seconds} s stage ({builder}) · measured"):
            reports[builder] = app.build("slow-stage", build_args=nonce, **options)
    return reports


def stage_use(reports: dict[str, BuildReport], stages: list[Stage]) -> pd.DataFrame:
    """What each build did with each stage, read from its report: how many of the stage's steps
    that do work ran and how many came from the cache (:meth:`BuildReport.work_counts`),
    ``used, nothing to build`` for a stage used with no such step, or ``not built``.

    Args:
        reports: Label (e.g. the builder) -> the build.
        stages: The Dockerfile's stages (:func:`~multistage.dockerfile.parse_stages`).

    Returns:
        One row per build, one column per stage (by name, else ``stage N``).
    """
    rows = {}
    for label, report in reports.items():
        row = {}
        for stage in stages:
            ran, cached = report.work_counts(stage.index)
            parts = [f"{ran} ran" if ran else "", f"{cached} from the cache" if cached else ""]
            used = "used, nothing to build" if report.steps_in(stage.index) else "not built"
            row[stage.name or f"stage {stage.index}"] = ", ".join(part for part in parts if part) or used
        rows[label] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("build")
