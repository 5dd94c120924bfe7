"""The sample table (``make run``'s summary and sample_apps/README.md): every variant built, served, looked into."""

from __future__ import annotations

import docker
import pandas as pd

from ..apps import APPS, TABLE_VARIANTS
from ..containers import smoke_test
from ..contents import facts
from ..progress import Say

__all__ = [
    "measure_variants",
    "summary_table",
]


def measure_variants(
    client: docker.DockerClient, apps: list[str] | None = None, cold: bool = False, say: Say = print
) -> pd.DataFrame:
    """Build every variant, smoke-test it, and tabulate what its final image is.

    Args:
        client: Docker client.
        apps: App names (default: all).
        cold: Also build each variant without the build cache first, to time a cold build.
        say: Where one progress line per variant goes.

    Only the variants in :data:`TABLE_VARIANTS` are measured.

    Returns:
        One row per app and variant: size, shell, compilers, user, profile, builder, build seconds
        (cold and warm) and the ``/health`` answer's status.
    """
    rows = []
    for name in apps or list(APPS):
        app = APPS[name]
        for variant, dockerfile in app.dockerfiles.items():
            if variant not in TABLE_VARIANTS:
                continue
            cold_seconds = None
            say(f"  {name}/{dockerfile}: building, smoke-testing, reading its files")
            if cold:
                cold_seconds = app.build(variant, client=client, nocache=True, progress=False).seconds
                # Under the classic builder, a no-cache build leaves identical twins of layers that
                # several stages share (FROM x; WORKDIR /app); it then follows one twin and rebuilds
                # the other stage's steps once. After that one build the cache is settled.
                app.build(variant, client=client, progress=False)
            report = app.build(variant, client=client, progress=False)
            info = facts(client, report.image_id)
            health = smoke_test(client, report.image_id, app.port)
            rows.append(
                {
                    "app": name,
                    "variant": variant,
                    "dockerfile": dockerfile,
                    "size_mb": round(report.size_mb, 1),
                    "shell": "yes" if info.shell else "no",
                    "compiler": ", ".join(info.compilers) or "none",
                    "non_root": "no" if info.runs_as_root else "yes",
                    "profile": report.profile_label,
                    "builder": report.builder,
                    "cold_s": round(cold_seconds, 1) if cold_seconds is not None else None,
                    "warm_s": round(report.seconds, 1),
                    "health": health.status,
                }
            )
            say(f"  {name}/{dockerfile}: {report.size_mb:.1f} MB, GET /health -> {health.status}")
    return pd.DataFrame(rows)


def summary_table(client: docker.DockerClient, say: Say = print) -> pd.DataFrame:
    """Per app and variant: size, ratio to one stage, shell, compiler, user, ``/health``.

    After ``make run``'s notebooks, most builds come from the build cache they filled (the
    classic builder's; ``node/Dockerfile.best`` is built here first) and the files from the
    layer listings (see :mod:`multistage.contents`): no second round of cold builds.
    """
    table = measure_variants(client, apps=["node", "go", "python"], say=say)
    single = table[table["variant"] == "single"].set_index("app")["size_mb"]
    table["smaller_than_single"] = [
        round(single[app] / size, 1) for app, size in zip(table["app"], table["size_mb"], strict=True)
    ]
    return table[
        [
            "app",
            "dockerfile",
            "size_mb",
            "smaller_than_single",
            "shell",
            "compiler",
            "non_root",
            "health",
            "profile",
        ]
    ]
