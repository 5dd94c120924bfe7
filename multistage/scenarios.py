"""Edit-and-rebuild experiments: which steps a typical change sends back through the builder."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import docker
import pandas as pd

from .apps import APPS, SampleApp, build_text, copy_app
from .build import BUILDERS, BuildReport, build
from .errors import BuildFailed

__all__ = [
    "EDITS",
    "FAILING_TESTS",
    "RUNTIMES",
    "BuilderPattern",
    "ScenarioSet",
    "SecretLeak",
    "apply_edit",
    "builder_pattern",
    "dockerignore_effect",
    "orderings",
    "run_scenarios",
    "runtimes",
    "secret_leak",
    "skipped_tests",
    "slow_unused_stage",
    "stage_references",
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
    builder: str = "classic",
    without: tuple[str, ...] = (),
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
        builder: ``"classic"`` or ``"buildkit"``.
        without: Files to delete from the copy first (e.g. ``(".dockerignore",)``).

    Returns:
        The :class:`ScenarioSet`.
    """
    app = APPS[app] if isinstance(app, str) else app
    edits = list(EDITS) if edits is None else edits
    with tempfile.TemporaryDirectory(prefix=f"multistage-{app.name}-") as tmp:
        copy = copy_app(app, Path(tmp))
        if dockerfile_text is not None:
            (copy / dockerfile).write_text(dockerfile_text)
        for name in without:
            (copy / name).unlink()
        pristine = Path(tmp) / "pristine"
        shutil.copytree(copy, pristine)
        baseline = build(copy, dockerfile, client=client, progress=progress, builder=builder)
        result = ScenarioSet(app.name, dockerfile, baseline)
        for edit in edits:
            apply_edit(app, copy, edit, uuid.uuid4().hex[:12])
            result.rebuilds[edit] = build(copy, dockerfile, client=client, progress=progress, builder=builder)
            shutil.rmtree(copy)
            shutil.copytree(pristine, copy)
        return result


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
    builders: tuple[str, ...] = BUILDERS,
    client: docker.DockerClient | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Build the Node app's ``--target production`` with a deliberately failing test, per Dockerfile and builder.

    A build that ships an image although a test fails has skipped its tests.

    Returns:
        One row per (dockerfile, builder): ``image_built``, ``failed_step`` and ``seconds``,
        indexed by ``(dockerfile, builder)``.
    """
    app = APPS["node"]
    path, content = FAILING_TESTS["node"]
    rows = []
    for variant in variants:
        for builder in builders:
            row = {"dockerfile": app.dockerfiles[variant], "builder": builder}
            started = time.monotonic()
            try:
                build_text(
                    app,
                    app.dockerfile_text(variant),
                    files={path: content},
                    target="production",
                    builder=builder,
                    client=client,
                    progress=progress,
                )
                row.update(image_built=True, failed_step=None)
            except BuildFailed as exc:
                row.update(image_built=False, failed_step=exc.step)
            row["seconds"] = round(time.monotonic() - started, 1)
            rows.append(row)
    return pd.DataFrame(rows).set_index(["dockerfile", "builder"])


def slow_unused_stage(
    seconds: int = 10,
    builders: tuple[str, ...] = BUILDERS,
    client: docker.DockerClient | None = None,
    progress: bool = True,
) -> dict[str, BuildReport]:
    """Build the Node app's ``Dockerfile.slow-stage`` for ``--target production``, per builder.

    Production does not need the ``docs`` stage, whose step sleeps ``seconds``. Each builder
    first builds once to warm its own cache (the two builders keep separate caches); the
    measured build then gets a fresh ``DOCS_NONCE``, so only the docs step is new.

    Returns:
        Builder -> the measured :class:`BuildReport`.
    """
    app = APPS["node"]
    reports = {}
    for builder in builders:
        options = {"target": "production", "builder": builder, "client": client, "progress": progress}
        app.build("slow-stage", build_args={"DOCS_SECONDS": str(seconds), "DOCS_NONCE": "warm-up"}, **options)
        nonce = {"DOCS_SECONDS": str(seconds), "DOCS_NONCE": uuid.uuid4().hex[:12]}
        reports[builder] = app.build("slow-stage", build_args=nonce, **options)
    return reports


#: Final-image roles of the document's first best practice, and the image playing each role.
RUNTIMES = {
    "full": "golang:1.21",
    "slim": "debian:bookworm-slim",
    "minimal (alpine)": "alpine:latest",
    "distroless": "gcr.io/distroless/static-debian12",
    "scratch": "scratch",
}


def runtimes(
    builder: str = "classic", client: docker.DockerClient | None = None, progress: bool = True
) -> pd.DataFrame:
    """Build the Go app's ``Dockerfile.runtime`` once per final base in :data:`RUNTIMES` and serve it.

    Returns:
        One row per runtime: the base used under the active profile, image size, whether a
        shell is present, and the ``/health`` status (all on 127.0.0.1).
    """
    from .bases import active_profile
    from .containers import smoke_test
    from .engine import connect
    from .inspect import facts

    client = client or connect()
    profile = active_profile(client, say=lambda _: None)
    app = APPS["go"]
    rows = []
    for role, image in RUNTIMES.items():
        base = profile.resolve(image)
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
                "health": health.status,
            }
        )
    return pd.DataFrame(rows).set_index("runtime")


def stage_references(
    builder: str = "classic", client: docker.DockerClient | None = None, progress: bool = True
) -> pd.DataFrame:
    """Build the Go app's ``stage-names/`` Dockerfiles and see which binary each one shipped.

    ``Dockerfile.index`` copies ``--from=0``; ``Dockerfile.index-inserted`` is the same after a
    debug stage was inserted first; ``Dockerfile.named-inserted`` names its stages.

    Returns:
        One row per Dockerfile: the shipped ``/app/main``'s size, whether it is the release
        binary (same bytes count as in the unmodified Dockerfile), and the ``/health`` status.
    """
    from .containers import smoke_test
    from .engine import connect
    from .inspect import file_tree

    client = client or connect()
    app = APPS["go"]
    rows = []
    for variant in ("index", "index-inserted", "named-inserted"):
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
    builders: tuple[str, ...] = BUILDERS,
    edits: tuple[str, ...] = ("source edit", "dependency edit"),
    client: docker.DockerClient | None = None,
    progress: bool = True,
) -> dict[str, ScenarioSet]:
    """Run the same edits against differently ordered Dockerfiles of one app, under each builder.

    Args:
        app: The sample app.
        dockerfiles: Label -> Dockerfile (default: the document's order, dependency files
            first, against ``Dockerfile.source-first``).
        builders: Builders to run each under.
        edits: Names from :data:`EDITS`.
        client: Docker client.
        progress: Show progress bars.

    Returns:
        ``"<label> (<builder>)"`` -> :class:`ScenarioSet`.
    """
    dockerfiles = dockerfiles or {
        "dependencies first": "Dockerfile",
        "source first": "Dockerfile.source-first",
    }
    return {
        f"{label} ({builder})": run_scenarios(
            app, dockerfile, edits=list(edits), client=client, progress=progress, builder=builder
        )
        for builder in builders
        for label, dockerfile in dockerfiles.items()
    }


def dockerignore_effect(
    builder: str = "classic", client: docker.DockerClient | None = None, progress: bool = True
) -> pd.DataFrame:
    """What ``.dockerignore`` changes for the Node app: the context sent, and a rebuild after an ignored file changed.

    The context is measured on a working copy as a developer has it after ``npm ci``: the
    sources plus ``node_modules`` (copied out of the ``dependencies`` stage's image). The
    rebuilds use a clean copy, with and without its ``.dockerignore``.

    Returns:
        Two rows (``with .dockerignore``, ``without``): context megabytes, and the share of
        steps from cache and seconds of the rebuild after ``NOTES.md`` changed.
    """
    from .buildkit import context_tar
    from .containers import copy_from_image
    from .engine import connect

    client = client or connect()
    sample = APPS["node"]
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
                "context_mb": round(sizes[not without] / 1e6, 2),
                "cached_share": round(rebuild.cached_share, 3),
                "rebuild_s": rebuild.seconds,
            }
        )
    return pd.DataFrame(rows).set_index("")


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
    from .containers import copy_from_image
    from .engine import connect

    client = client or connect()
    app = APPS["go"]
    pattern = app.path / "builder-pattern"
    build_image = build(app.path, "builder-pattern/Dockerfile.build", client=client, progress=progress)
    with tempfile.TemporaryDirectory(prefix="multistage-builder-pattern-") as tmp:
        copy_from_image(client, build_image.image_id, "/app/main", Path(tmp))
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
