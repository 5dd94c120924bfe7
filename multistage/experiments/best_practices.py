"""Experiments of notebook 06 (best practices): final images, stage order, .dockerignore, stage names."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import docker
import pandas as pd

from ..apps import APPS, copy_app
from ..build import available_builders, default_builder
from ..buildkit import context_tar
from ..containers import copy_from_image, smoke_test
from ..contents import facts
from ..dockerfile import parse_stages
from ..edits import ScenarioSet, run_scenarios
from ..engine import client_or_connect
from ..errors import UnknownName
from ..listings import file_tree
from ..profiles import active_profile
from ..progress import experiment, quiet
from ..results import mb
from .named_stages import stage_use

__all__ = [
    "RUNTIMES",
    "dockerignore_effect",
    "orderings",
    "move_stage_last",
    "runtimes",
    "stage_orders",
    "stage_references",
]

#: Final-image roles of the document's first best practice, and the image playing each role.
RUNTIMES = {
    "full": "golang:1.21",
    "slim": "debian:bookworm-slim",
    "minimal (alpine)": "alpine:latest",
    "distroless": "gcr.io/distroless/static-debian12",
    "scratch": "scratch",
}


def runtimes(
    builder: str | None = None, client: docker.DockerClient | None = None, progress: bool = True
) -> pd.DataFrame:
    """Build the Go app's ``Dockerfile.runtime`` once per final base in :data:`RUNTIMES` and serve it.

    Returns:
        One row per runtime: the base used under the active profile, image size, the shell,
        package managers, compilers and C library found in it, and the ``/health`` status (on
        127.0.0.1).
    """
    client = client_or_connect(client)
    builder = builder or default_builder(client)
    profile = active_profile(client, say=quiet)
    app = APPS["go"]
    rows = []
    for role, image in RUNTIMES.items():
        base = profile.resolve(image)
        with experiment(f"final image: {role}"):
            report = app.build(
                "runtime",
                client=client,
                builder=builder,
                build_args={"RUNTIME_IMAGE": base},
                tag=app.tag(f"runtime-{role.split()[0]}", builder=builder),
                progress=progress,
            )
        info = facts(client, report.image_id)
        health = smoke_test(client, report.image_id, app.port, check=False)
        rows.append(
            {
                "runtime": role,
                "document's image": image,
                "base used": base,
                "size_mb": round(report.size_mb, 1),
                "shell": info.shell or "none",
                "package_managers": ", ".join(info.package_managers) or "none",
                "compilers": ", ".join(info.compilers) or "none",
                "libc": ", ".join(info.libc) or "none",
                "health": health.status,
            }
        )
    return pd.DataFrame(rows).set_index("runtime")


def stage_references(
    variants: tuple[str, ...] = ("index", "index-inserted", "named-inserted"),
    builder: str | None = None,
    client: docker.DockerClient | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Build the Go app's ``stage-names/`` Dockerfiles and see which binary each one shipped.

    ``Dockerfile.index`` copies ``--from=0``; ``Dockerfile.index-inserted`` is the same after a
    debug stage was inserted first; ``Dockerfile.named-inserted`` names its stages.

    Args:
        variants: Which of them to build, in order; the first ships the release binary the others
            are compared with (``index``).

    Returns:
        One row per Dockerfile: the shipped ``/app/main``'s size, whether it is the release
        binary (same bytes count as in the unmodified Dockerfile), and the ``/health`` status.
    """
    client = client_or_connect(client)
    app = APPS["go"]
    rows = []
    for variant in variants:
        with experiment(app.dockerfiles[variant]):
            report = app.build(variant, client=client, builder=builder, progress=progress)
        binary = file_tree(client, report.image_id).entries["/app/main"].size
        health = smoke_test(client, report.image_id, app.port, check=False)
        rows.append({"dockerfile": app.dockerfiles[variant], "binary_bytes": binary, "health": health.status})
    frame = pd.DataFrame(rows).set_index("dockerfile")
    frame["release binary"] = frame["binary_bytes"] == frame["binary_bytes"].iloc[0]
    return frame


def orderings(
    app: str = "node",
    dockerfiles: dict[str, str] | None = None,
    builders: tuple[str, ...] | None = None,
    edits: tuple[str, ...] = ("source edit",),
    client: docker.DockerClient | None = None,
    progress: bool = True,
) -> dict[str, ScenarioSet]:
    """Run the same edits against differently ordered Dockerfiles of one app, under each builder.

    Args:
        app: The sample app.
        dockerfiles: Label -> Dockerfile (default: the document's order, dependency files
            first, against ``Dockerfile.source-first``).
        builders: Builders to run each under (``None``: every builder the engine offers).
        edits: Names from :data:`~multistage.edits.EDITS`.
        client: Docker client.
        progress: Show progress bars.

    Returns:
        ``"<label> (<builder>)"`` -> :class:`ScenarioSet`.
    """
    dockerfiles = dockerfiles or {
        "dependencies first": "Dockerfile",
        "source first": "Dockerfile.source-first",
    }
    client = client_or_connect(client)
    results = {}
    for builder in builders or available_builders(client, say=quiet):
        for label, dockerfile in dockerfiles.items():
            with experiment(f"orderings: {label}"):
                results[f"{label} ({builder})"] = run_scenarios(
                    app, dockerfile, edits=list(edits), client=client, progress=progress, builder=builder
                )
    return results


def dockerignore_effect(
    builder: str | None = None, client: docker.DockerClient | None = None, progress: bool = True
) -> pd.DataFrame:
    """What ``.dockerignore`` changes for the Node app: the context sent, and a rebuild after an ignored file changed.

    The context is measured on a working copy as a developer has it after ``npm ci``: the
    sources plus ``node_modules`` (copied out of the ``dependencies`` stage's image). The
    rebuilds use a clean copy, with and without its ``.dockerignore``.

    Returns:
        Two rows (``with .dockerignore``, ``without``): context megabytes, and the share of
        steps from cache and seconds of the rebuild after ``NOTES.md`` changed.
    """
    client = client_or_connect(client)
    sample = APPS["node"]
    with experiment(".dockerignore · node_modules for a working copy"):
        dependencies = sample.build(
            "stages", target="dependencies", builder=builder, client=client, progress=progress
        )
    sizes = {}
    with tempfile.TemporaryDirectory(prefix="multistage-node-") as tmp:
        working_copy = copy_app(sample, Path(tmp))
        copy_from_image(client, dependencies.image_id, "/app/node_modules", working_copy)
        for ignore in (True, False):
            sizes[ignore] = len(context_tar(working_copy, sample.dockerfiles["multi"], dockerignore=ignore))
    rows = []
    for label, without in (("with .dockerignore", ()), ("without", (".dockerignore",))):
        with experiment(f".dockerignore · {label}"):
            rebuild = run_scenarios(
                sample,
                edits=["ignored-file edit"],
                client=client,
                progress=progress,
                builder=builder,
                without=without,
            ).rebuilds["ignored-file edit"]
        rows.append(
            {
                "": label,
                "context_mb": round(mb(sizes[not without]), 2),
                "cached_share": round(rebuild.cached_share, 3),
                "rebuild_s": rebuild.seconds,
            }
        )
    return pd.DataFrame(rows).set_index("")


def move_stage_last(text: str, name: str) -> str:
    """``text`` with the stage named ``name`` (its ``FROM … AS name`` line up to the next ``FROM``)
    moved to the end of the Dockerfile; everything else keeps its order.

    Raises:
        UnknownName: No stage of that name.
    """
    chunks = re.split(r"(?m)^(?=FROM\s)", text)
    named = [
        i
        for i, chunk in enumerate(chunks)
        if re.match(rf"FROM\s+\S+\s+AS\s+{re.escape(name)}\s*$", chunk.splitlines()[0], re.I)
    ]
    if not named:
        raise UnknownName(f"no stage named {name!r}")
    moved = chunks.pop(named[0])
    return "".join(chunks).rstrip("\n") + "\n\n" + moved.rstrip("\n") + "\n"


def stage_orders(
    builders: tuple[str, ...] | None = None, client: docker.DockerClient | None = None, progress: bool = True
) -> pd.DataFrame:
    """The Node app's ``Dockerfile.stages`` as written (``test`` before ``production``) and with
    ``test`` moved last: each built for ``--target production``, then rebuilt after a source edit,
    under each builder.

    Returns:
        One row per (order, builder): what the rebuild did with the ``build``, ``test`` and
        ``production`` stages (:func:`~multistage.experiments.named_stages.stage_use`), and its
        seconds.
    """
    client = client_or_connect(client)
    text = APPS["node"].dockerfile_text("stages")
    files = {"test before production": text, "test after production": move_stage_last(text, "test")}
    rows = []
    for builder in builders or available_builders(client, say=quiet):
        for order, dockerfile_text in files.items():
            with experiment(f"stage order: {order} ({builder})"):
                rebuild = run_scenarios(
                    "node",
                    "Dockerfile.stages",
                    edits=["source edit"],
                    dockerfile_text=dockerfile_text,
                    client=client,
                    builder=builder,
                    target="production",
                    progress=progress,
                ).rebuilds["source edit"]
            use = stage_use({builder: rebuild}, parse_stages(dockerfile_text)).loc[builder]
            rows.append(
                {
                    "order": order,
                    "builder": builder,
                    **{stage: use[stage] for stage in ("build", "test", "production")},
                    "seconds": round(rebuild.seconds, 1),
                }
            )
    return pd.DataFrame(rows).set_index(["order", "builder"])
