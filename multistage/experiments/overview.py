"""Experiments of notebook 00 (overview and benefits): a deleted secret in layers, the builder pattern, speed."""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import docker
import pandas as pd

from ..apps import APPS, copy_app
from ..build import build, buildx_works
from ..cache import cache_root, write_atomically
from ..containers import copy_from_image
from ..edits import run_scenarios
from ..engine import client_or_connect
from ..listings import LayerHit, export_cost, file_tree, find_in_layers
from ..progress import experiment
from ..results import BuildReport, mb

#: What a token made by :func:`_machine_token` looks like; anything else (an empty file) is replaced.
_TOKEN = re.compile(r"tutorial-token-[0-9a-f]{32}")

__all__ = [
    "BuilderPattern",
    "SecretLeak",
    "SecretMount",
    "builder_pattern",
    "one_stage_or_multi_stage_speed",
    "secret_leak",
    "secret_mount",
]


@dataclass
class SecretLeak:
    """The same secret-using build in one stage and in two, and where the secret ended up."""

    token: str
    single: BuildReport
    multi: BuildReport
    single_hits: list[LayerHit]
    multi_hits: list[LayerHit]

    @property
    def recovered_from_single(self) -> bool:
        """True when the token could be read back from a layer of the one-stage image."""
        return any(self.token.encode() in hit.content for hit in self.single_hits)


def secret_leak(client: docker.DockerClient | None = None, progress: bool = True) -> SecretLeak:
    """Build ``sample_apps/go/secret/`` with this machine's random token, then search both images' layers.

    The token is made once per machine (kept in the project's cache directory, so a rerun
    reuses the builds) and is written only into a temporary copy of the app, never committed.
    """
    client = client_or_connect(client)
    app = APPS["go"]
    token = _machine_token()
    with tempfile.TemporaryDirectory(prefix="multistage-secret-") as tmp:
        copy = copy_app(app, Path(tmp))
        (copy / "token.txt").write_text(token + "\n")
        with experiment("secret · one stage"):
            single = build(copy, "secret/Dockerfile.single", client=client, progress=progress)
        with experiment("secret · multi-stage"):
            multi = build(copy, "secret/Dockerfile.multi", client=client, progress=progress)
    return SecretLeak(
        token,
        single,
        multi,
        find_in_layers(client, single.image_id, "token.txt"),
        find_in_layers(client, multi.image_id, "token.txt"),
    )


@dataclass
class SecretMount:
    """The secret build once more, the token passed as a BuildKit secret instead of copied.

    Attributes:
        report: The build (``None`` where ``docker buildx`` cannot build here).
        skipped: Why it was not built, in one sentence (empty when it was).
        token_files: Files called ``token`` or ``token.txt`` found in any layer.
        fingerprint: What the build wrote from the secret it read (``None`` if not built).
        expected: The same fingerprint computed here from the token.
    """

    report: BuildReport | None
    skipped: str
    token_files: list[LayerHit]
    fingerprint: str | None
    expected: str

    def summary(self) -> str:
        """What was measured, in one sentence."""
        if self.report is None:
            return f"Not built here: {self.skipped}"
        reader = next((s for s in self.report.steps if "type=secret" in s.instruction), None)
        read = (
            "read the token (its fingerprint matches)"
            if self.fingerprint == self.expected
            else ("did not read the token (the fingerprint differs)")
        )
        if reader is not None and reader.cached:
            read += (
                "; the step that reads it came from the cache, so it read it in an earlier build of "
                "this file with the same token"
            )
        elif reader is not None:
            read += "; the step that reads it ran in this build"
        held = "no layer holds" if not self.token_files else f"{len(self.token_files)} layer file(s) hold"
        return (
            f"Built through docker buildx, which opens the secret's session (`{self.report.command}`): "
            f"the build {read}, and {held} a file called token or token.txt."
        )


def secret_mount(client: docker.DockerClient | None = None, progress: bool = True) -> SecretMount:
    """Build ``secret/Dockerfile.mount`` with this machine's token as a BuildKit secret, then search its layers.

    Secrets reach BuildKit over a session only ``docker buildx build --secret`` opens; where
    that cannot build, nothing is built and the result says why.
    """
    client = client_or_connect(client)
    token = _machine_token()
    expected = hashlib.sha256((token + "\n").encode()).hexdigest()[:16]
    if not buildx_works(client):
        return SecretMount(
            None,
            "`docker buildx` cannot build on this engine, and build secrets need it.",
            [],
            None,
            expected,
        )
    with tempfile.TemporaryDirectory(prefix="multistage-secret-") as tmp:
        copy = copy_app(APPS["go"], Path(tmp) / "go")
        secret = Path(tmp) / "token.txt"  # outside the build context
        secret.write_text(token + "\n")
        with experiment("secret · mounted"):
            report = build(
                copy,
                "secret/Dockerfile.mount",
                client=client,
                progress=progress,
                secrets={"token": str(secret)},
            )
    hits = find_in_layers(client, report.image_id, "token") + find_in_layers(
        client, report.image_id, "token.txt"
    )
    printed = find_in_layers(client, report.image_id, "token-fingerprint")
    fingerprint = printed[-1].content.decode().strip() if printed else None
    return SecretMount(report, "", hits, fingerprint, expected)


def _machine_token() -> str:
    """A fake secret, random per machine, made on first use (atomically: notebooks may run at once)."""
    path = cache_root() / "fake-secret-token"
    token = path.read_text().strip() if path.is_file() else ""
    if not _TOKEN.fullmatch(token):
        token = f"tutorial-token-{uuid.uuid4().hex}"
        write_atomically(path, f"{token}\n".encode())
    return token


@dataclass
class BuilderPattern:
    """The pre-multi-stage "builder pattern" (two Dockerfiles and a script) beside one multi-stage file.

    Attributes:
        build_image: The build image (compiler, sources, binary).
        run_image: The run image made from the copied-out binary.
        multi_stage: The document's multi-stage build of the same app.
        files: Approach -> the files a maintainer keeps (read from ``sample_apps/go``).
        commands: Approach -> the commands that produce the image (read from ``build.sh``).
        paths: How many paths (files, folders, links) the run image has.
        only_in: Approach -> the paths its image has and the other's lacks (none: the same files).
        binary_bytes: Approach -> the size of ``/root/main`` in its image.
    """

    build_image: BuildReport
    run_image: BuildReport
    multi_stage: BuildReport
    files: dict[str, list[str]]
    commands: dict[str, list[str]]
    paths: int
    only_in: dict[str, list[str]]
    binary_bytes: dict[str, int]

    def compared(self) -> str:
        """One line: whether both images hold the same paths, and the binary's size in each."""
        same = not any(self.only_in.values())
        paths = (
            f"the same {self.paths} paths in both images"
            if same
            else "paths in one image only: "
            + "; ".join(f"{k}: {', '.join(v[:5])}" for k, v in self.only_in.items() if v)
        )
        binary = " and ".join(f"{mb(n):.2f} MB ({k})" for k, n in self.binary_bytes.items())
        return f"{paths}; /root/main is {binary}"


def builder_pattern(client: docker.DockerClient | None = None, progress: bool = True) -> BuilderPattern:
    """Run ``sample_apps/go/builder-pattern/build.sh``'s steps through the SDK, and the multi-stage build.

    Steps: build the build image; create a container from it and copy ``/app/main`` out of it
    (``docker cp``); remove the container; build the run image from a context holding the binary.
    """
    client = client_or_connect(client)
    app = APPS["go"]
    pattern = app.path / "builder-pattern"
    with experiment("builder pattern · build image"):
        build_image = build(app.path, "builder-pattern/Dockerfile.build", client=client, progress=progress)
    with tempfile.TemporaryDirectory(prefix="multistage-builder-pattern-") as tmp:
        copy_from_image(client, build_image.image_id, "/app/main", Path(tmp))
        shutil.copy(pattern / "Dockerfile.run", Path(tmp) / "Dockerfile.run")
        with experiment("builder pattern · run image"):
            run_image = build(tmp, "Dockerfile.run", client=client, progress=progress)
    with experiment("multi-stage"):
        multi_stage = app.build("multi", client=client, progress=progress)
    script = (pattern / "build.sh").read_text().splitlines()
    commands = [line for line in script if line.strip() and not line.lstrip().startswith(("#", "set "))]
    trees = {
        "builder pattern": file_tree(client, run_image.image_id),
        "multi-stage": file_tree(client, multi_stage.image_id),
    }
    paths = {name: set(tree.entries) for name, tree in trees.items()}
    return BuilderPattern(
        build_image,
        run_image,
        multi_stage,
        paths=len(paths["builder pattern"]),
        only_in={
            "builder pattern": sorted(paths["builder pattern"] - paths["multi-stage"]),
            "multi-stage": sorted(paths["multi-stage"] - paths["builder pattern"]),
        },
        binary_bytes={name: tree.entries["/root/main"].size for name, tree in trees.items()},
        files={
            "builder pattern": sorted(f"builder-pattern/{p.name}" for p in pattern.iterdir() if p.is_file()),
            "multi-stage": [multi_stage.dockerfile],
        },
        commands={
            "builder pattern": commands,
            "multi-stage": [f"docker build -t go-app:latest -f {multi_stage.dockerfile} ."],
        },
    )


def one_stage_or_multi_stage_speed(
    app: str = "node", client: docker.DockerClient | None = None, progress: bool = True
) -> pd.DataFrame:
    """Where a multi-stage build is faster than one stage, and where not: a source edit, and moving the image.

    For the app's one-stage and multi-stage Dockerfiles (same builder): the rebuild after a
    fresh source edit, and the bytes and seconds of exporting the image (what ``docker save``
    writes; a push or pull moves the same layers, compressed).

    Returns:
        One row per Dockerfile: ``rebuild_s``, ``export_mb``, ``export_s``.
    """
    client = client_or_connect(client)
    rows = {}
    for label, variant in (("one stage", "single"), ("multi-stage", "multi")):
        with experiment(label):
            edited = run_scenarios(
                app, APPS[app].dockerfiles[variant], edits=["source edit"], client=client, progress=progress
            ).rebuilds["source edit"]
            exported = export_cost(
                client, APPS[app].build(variant, client=client, progress=progress).image_id
            )
        rows[label] = {
            "rebuild_s": round(edited.seconds, 1),
            "export_mb": round(exported.mb, 1),
            "export_s": round(exported.seconds, 1),
        }
    return pd.DataFrame(rows).T.rename_axis(app)
