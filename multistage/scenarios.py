"""Edit-and-rebuild experiments: which steps a typical change sends back through the builder."""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import docker
import pandas as pd

from .apps import APPS, SampleApp, copy_app
from .build import BuildReport, build

__all__ = [
    "BuilderPattern",
    "EDITS",
    "ScenarioSet",
    "SecretLeak",
    "apply_edit",
    "builder_pattern",
    "run_scenarios",
    "secret_leak",
]

#: Edit name -> what it touches. Every edit carries a fresh nonce, so it is new to the engine
#: on every run and the rebuild shows what a learner's own change would cost.
EDITS = {
    "no change": None,
    "source edit": "source",
    "dependency edit": "manifest",
    "ignored-file edit": "ignored",
}
#: A file every app's .dockerignore excludes (*.md).
IGNORED_FILE = "NOTES.md"


@dataclass
class ScenarioSet:
    """A baseline build and one rebuild per edit, all of the same Dockerfile."""

    app: str
    dockerfile: str
    baseline: BuildReport
    rebuilds: dict[str, BuildReport] = field(default_factory=dict)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per edit and step: edit, number, stage, stage_name, instruction, cached, seconds."""
        frames = []
        for edit, report in self.rebuilds.items():
            frame = report.to_dataframe()
            frame.insert(0, "edit", edit)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def summary(self) -> pd.DataFrame:
        """One row per edit: share of steps from cache and rebuild seconds."""
        return pd.DataFrame(
            [
                {"edit": edit, "cached_share": round(r.cached_share, 3), "seconds": r.seconds}
                for edit, r in self.rebuilds.items()
            ]
        )


def apply_edit(app: SampleApp, directory: Path, edit: str, nonce: str) -> None:
    """Change ``directory`` (a copy of ``app``) the way ``edit`` says, marked with ``nonce``.

    Raises:
        KeyError: ``edit`` is not one of :data:`EDITS`.
    """
    target = EDITS[edit]
    if target is None:
        return
    if target == "ignored":
        (directory / IGNORED_FILE).write_text(f"Notes that never reach the image: {nonce}\n")
        return
    path = directory / (app.source if target == "source" else app.manifest)
    if path.suffix == ".json":
        data = json.loads(path.read_text())
        data["description"] = f"{data.get('description', '')} (edit {nonce})".strip()
        path.write_text(json.dumps(data, indent=2) + "\n")
    else:
        comment = "#" if path.suffix in (".py", ".txt") else "//"
        path.write_text(path.read_text() + f"{comment} edit {nonce}\n")


def run_scenarios(
    app: str | SampleApp,
    dockerfile: str = "Dockerfile",
    edits: list[str] | None = None,
    dockerfile_text: str | None = None,
    client: docker.DockerClient | None = None,
    progress: bool = True,
) -> ScenarioSet:
    """Copy ``app`` to a temporary directory, build it, then rebuild it after each edit.

    Each edit starts from the unedited copy (the previous edit is undone first), so every
    rebuild is compared with the same baseline.

    Args:
        app: A :class:`SampleApp` or its name.
        dockerfile: The Dockerfile to build, relative to the app.
        edits: Names from :data:`EDITS` (default: all of them, in order).
        dockerfile_text: Build this text instead of the app's Dockerfile (e.g. a reordered copy).
        client: Docker client.
        progress: Show progress bars.

    Returns:
        The :class:`ScenarioSet`.
    """
    app = APPS[app] if isinstance(app, str) else app
    edits = list(EDITS) if edits is None else edits
    with tempfile.TemporaryDirectory(prefix=f"multistage-{app.name}-") as tmp:
        copy = copy_app(app, Path(tmp))
        if dockerfile_text is not None:
            (copy / dockerfile).write_text(dockerfile_text)
        pristine = Path(tmp) / "pristine"
        shutil.copytree(copy, pristine)
        baseline = build(copy, dockerfile, client=client, progress=progress)
        result = ScenarioSet(app.name, dockerfile, baseline)
        for edit in edits:
            apply_edit(app, copy, edit, uuid.uuid4().hex[:12])
            result.rebuilds[edit] = build(copy, dockerfile, client=client, progress=progress)
            shutil.rmtree(copy)
            shutil.copytree(pristine, copy)
        return result


@dataclass
class SecretLeak:
    """The same secret-using build in one stage and in two, and where the secret ended up."""

    token: str
    single: BuildReport
    multi: BuildReport
    single_hits: list  # LayerHit
    multi_hits: list

    @property
    def recovered_from_single(self) -> bool:
        """True when the token could be read back from a layer of the one-stage image."""
        return any(self.token.encode() in hit.content for hit in self.single_hits)


def secret_leak(client: docker.DockerClient | None = None, progress: bool = True) -> SecretLeak:
    """Build ``sample_apps/go/secret/`` with a fresh random token, then search both images' layers.

    The token file is written only into a temporary copy of the app and never committed.
    """
    from .inspect import find_in_layers

    app = APPS["go"]
    token = f"tutorial-token-{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory(prefix="multistage-secret-") as tmp:
        copy = copy_app(app, Path(tmp))
        (copy / "token.txt").write_text(token + "\n")
        single = build(copy, "secret/Dockerfile.single", client=client, progress=progress)
        multi = build(copy, "secret/Dockerfile.multi", client=client, progress=progress)
    from .engine import connect

    client = client or connect()
    return SecretLeak(
        token,
        single,
        multi,
        find_in_layers(client, single.image_id, "token.txt"),
        find_in_layers(client, multi.image_id, "token.txt"),
    )


@dataclass
class BuilderPattern:
    """The pre-multi-stage "builder pattern" (two Dockerfiles and a script) beside one multi-stage file."""

    build_image: BuildReport
    run_image: BuildReport
    multi_stage: BuildReport
    files: dict[str, int]  # approach -> files a maintainer keeps
    commands: dict[str, int]  # approach -> commands to produce the image


def builder_pattern(client: docker.DockerClient | None = None, progress: bool = True) -> BuilderPattern:
    """Run ``sample_apps/go/builder-pattern/build.sh``'s steps through the SDK, and the multi-stage build.

    Steps: build the build image; create a container from it and copy ``/app/main`` out of it
    (``docker cp``); remove the container; build the run image from a context holding the binary.
    """
    import io
    import tarfile

    from . import labels as lbl
    from .engine import connect

    client = client or connect()
    app = APPS["go"]
    pattern = app.path / "builder-pattern"
    build_image = build(app.path, "builder-pattern/Dockerfile.build", client=client, progress=progress)
    container = client.containers.create(
        build_image.image_id, labels=lbl.project_labels(**{lbl.CONTAINER: "extract"})
    )
    try:
        stream, _ = container.get_archive("/app/main")
        archive = io.BytesIO(b"".join(stream))
    finally:
        container.remove(force=True)
    with tempfile.TemporaryDirectory(prefix="multistage-builder-pattern-") as tmp:
        with tarfile.open(fileobj=archive) as tar:
            tar.extractall(tmp, filter="data")
        shutil.copy(pattern / "Dockerfile.run", Path(tmp) / "Dockerfile.run")
        run_image = build(tmp, "Dockerfile.run", client=client, progress=progress)
    script = (pattern / "build.sh").read_text().splitlines()
    commands = [line for line in script if line.strip() and not line.lstrip().startswith(("#", "set "))]
    return BuilderPattern(
        build_image,
        run_image,
        app.build("multi", client=client, progress=progress),
        files={"builder pattern": 3, "multi-stage": 1},
        commands={"builder pattern": len(commands), "multi-stage": 1},
    )
