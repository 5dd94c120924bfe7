"""Experiments of notebook 07 (faster rebuilds): BuildKit cache mounts, measured on the sample apps."""

from __future__ import annotations

import tempfile
from pathlib import Path

import docker
import pandas as pd

from ..apps import APPS
from ..build import available_builders, build, default_builder
from ..dockerfile import Listing, listing
from ..edits import run_scenarios
from ..engine import client_or_connect
from ..errors import BuildFailed, UnknownName
from ..progress import Say, experiment, quiet

__all__ = [
    "MOUNTS",
    "best_file_rebuild",
    "cache_mount_rebuilds",
    "mount_builder",
    "mount_listing",
    "mount_support",
    "with_cache_mounts",
]

#: App -> (the document's step that gets the mount, the caches it mounts, the edit that reruns it).
MOUNTS = {
    "go": (
        "RUN CGO_ENABLED=0 GOOS=linux go build -o main .",
        ("/root/.cache/go-build", "/go/pkg/mod"),
        "source edit",
    ),
    "node": ("RUN npm install", ("/root/.npm",), "dependency edit"),
    "python": ("RUN pip install --user -r requirements.txt", ("/root/.cache/pip",), "dependency edit"),
}


#: Said where a lesson of this notebook cannot run: Docker's classic builder refuses ``RUN --mount``.
CLASSIC_ONLY = (
    "Skipped: this engine builds only with Docker's classic builder, which refuses `RUN --mount` "
    "(the table above), so nothing here can keep a cache mount; with BuildKit (the buildx plugin, "
    "or an engine on the overlay2 graph driver) or Podman it runs."
)


def mount_builder(client: docker.DockerClient, say: Say = print) -> str | None:
    """The engine's default builder where it keeps cache mounts (BuildKit, Podman's Buildah), else
    ``None`` after saying :data:`CLASSIC_ONLY`."""
    builder = default_builder(client)
    if builder == "classic":
        say(CLASSIC_ONLY)
        return None
    return builder


def with_cache_mounts(app: str, nonce: str = "tutorial") -> str:
    """The app's document Dockerfile with cache mounts on the step :data:`MOUNTS` names.

    Each mount's ``id`` ends in ``nonce``: a new nonce gives mounts that start empty.

    Raises:
        KeyError: The document's Dockerfile no longer has that step.
    """
    step, targets, _ = MOUNTS[app]
    mounts = "".join(
        f"--mount=type=cache,id={app}-{index}-{nonce},target={target} \\\n    "
        for index, target in enumerate(targets)
    )
    text = APPS[app].dockerfile_text("multi")
    if step not in text:
        raise UnknownName(f"{app}: the document's Dockerfile has no `{step}` any more; update MOUNTS.")
    return text.replace(step, step.replace("RUN ", f"RUN {mounts}", 1))


def mount_listing(app: str) -> Listing:
    """What :func:`with_cache_mounts` changes in the app's document Dockerfile, as a diff."""
    return listing(
        with_cache_mounts(app),
        f"{app}/Dockerfile with cache mounts",
        against=APPS[app].dockerfile_text("multi"),
        before=f"{app}/Dockerfile",
    )


#: The step after the probe's heredoc: it fails unless the heredoc's lines ran.
HEREDOC_CHECK = "RUN cat /heredoc-ran"


def mount_support(client: docker.DockerClient | None = None) -> pd.DataFrame:
    """Try ``RUN --mount=type=cache`` and a heredoc ``RUN <<EOF`` under each builder, and say what happened.

    A heredoc counts as accepted only when its lines ran (the file they write is there).

    What the engine's Dockerfile frontend accepts differs between versions, so it is tried,
    not assumed.

    Returns:
        One row per (feature, builder): ``accepted`` and the engine's first sentence if not.
    """
    client = client_or_connect(client)
    features = {
        "RUN --mount=type=cache": "RUN --mount=type=cache,target=/cache echo mounted > /cache/probe",
        # The second RUN fails when a builder hands the heredoc to the shell unrun.
        "RUN <<EOF (heredoc)": f"RUN <<EOF\necho heredoc > /heredoc-ran\nEOF\n{HEREDOC_CHECK}",
    }
    rows = []
    with tempfile.TemporaryDirectory(prefix="multistage-mount-probe-") as tmp:
        for feature, line in features.items():
            Path(tmp, "Dockerfile").write_text(
                f"ARG ALPINE_IMAGE=alpine:latest\nFROM ${{ALPINE_IMAGE}}\n{line}\n"
            )
            for builder in available_builders(client, say=quiet):
                try:
                    with experiment(f"does {builder} take {feature}?"):
                        build(tmp, client=client, builder=builder, nocache=True, progress=False)
                    rows.append({"feature": feature, "builder": builder, "accepted": True, "says": ""})
                except BuildFailed as exc:
                    said = str(exc).splitlines()[0].split(" builder: ", 1)[-1]
                    if exc.step == HEREDOC_CHECK:
                        said = (
                            "it took the heredoc but did not run its lines (the file they write is missing)"
                        )
                    rows.append({"feature": feature, "builder": builder, "accepted": False, "says": said})
    return pd.DataFrame(rows).set_index(["feature", "builder"])


def cache_mount_rebuilds(
    apps: tuple[str, ...] = tuple(MOUNTS),
    cold: tuple[str, ...] = ("go",),
    client: docker.DockerClient | None = None,
    progress: bool = True,
    known_cold: dict[str, float | None] | None = None,
    builder: str | None = None,
) -> pd.DataFrame:
    """For each app, the edit that reruns its slow step, without and with a cache mount.

    All with ``builder`` (``None``: the engine's default, BuildKit, or Buildah on Podman; both
    keep cache mounts between builds), in temporary copies. ``without_s`` and ``with_s`` are the rebuilds
    after a fresh edit, each after one build of the same Dockerfile (with the mount, that
    build fills the cache; on later runs the mount is still warm, as it would be on a
    developer's machine). For the apps in ``cold``, ``cold_s`` is a ``--no-cache`` build of
    the document's Dockerfile, the yardstick of the ratios — or, from ``known_cold``, the
    seconds of such a build measured just before (the exercise checker's).

    Returns:
        One row per app, with the seconds, the ratios ``without/cold`` and ``with/cold`` (empty
        where no cold build was asked for), and ``mount_changed_s``: with minus without. No rows
        (after one sentence) where the engine's only builder is the classic one.
    """
    client = client_or_connect(client)
    builder = builder or mount_builder(client)
    rows = []
    for app in apps if builder else ():
        edit = MOUNTS[app][2]
        known = (known_cold or {}).get(app)
        cold_s = known or float("nan")
        if app in cold and not known:
            with experiment(f"{app}: cold"):
                cold_s = (
                    APPS[app]
                    .build("multi", client=client, builder=builder, nocache=True, progress=progress)
                    .seconds
                )
        with experiment(f"{app}: without a cache mount"):
            without = run_scenarios(app, edits=[edit], client=client, builder=builder, progress=progress)
        with experiment(f"{app}: with a cache mount"):
            mounted = run_scenarios(
                app,
                edits=[edit],
                dockerfile_text=with_cache_mounts(app),
                client=client,
                builder=builder,
                progress=progress,
            )
        rows.append(
            {
                "app": app,
                "after": edit,
                "cold_s": cold_s,
                "without_s": without.rebuilds[edit].seconds,
                "with_s": mounted.rebuilds[edit].seconds,
            }
        )
    frame = pd.DataFrame(rows, columns=["app", "after", "cold_s", "without_s", "with_s"]).set_index("app")
    frame["without/cold"] = (frame["without_s"] / frame["cold_s"]).round(2)
    frame["with/cold"] = (frame["with_s"] / frame["cold_s"]).round(2)
    frame["mount_changed_s"] = (frame["with_s"] - frame["without_s"]).round(2)
    return frame


def best_file_rebuild(rebuilds: pd.DataFrame, client: docker.DockerClient | None = None) -> pd.DataFrame:
    """Go's ``Dockerfile.best`` (cache mounts, tests run in the build) rebuilt after a source edit,
    beside the document's Dockerfile without and with a mount from ``rebuilds``
    (:func:`cache_mount_rebuilds`).

    Returns:
        One row per Dockerfile with ``seconds``; empty (after one sentence) where no builder
        keeps cache mounts.
    """
    client = client_or_connect(client)
    builder = mount_builder(client)
    if builder is None or "go" not in rebuilds.index:
        return pd.DataFrame(columns=["seconds"])
    with experiment("go: Dockerfile.best"):
        best = run_scenarios("go", "Dockerfile.best", edits=["source edit"], client=client, builder=builder)
    return pd.DataFrame(
        {
            "seconds": {
                "Dockerfile.best": best.rebuilds["source edit"].seconds,
                "document, without a mount": rebuilds.loc["go", "without_s"],
                "document, with a mount": rebuilds.loc["go", "with_s"],
            }
        }
    ).rename_axis("go, rebuild after a source edit")
