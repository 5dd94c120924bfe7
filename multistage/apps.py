"""The sample apps the notebooks build: where they are, their port, their Dockerfile variants."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import docker

from .build import build, default_builder, learner_command, through_buildx
from .dockerfile import (
    Listing,
    Stage,
    listing,
    numbered_instructions,
    parse_stages,
    stage_list,
    without_cache_mounts,
)
from .engine import client_or_connect
from .errors import UnknownName, UsageError
from .labels import BUILD_NAMESPACE
from .profiles import active_profile
from .progress import quiet
from .results import BuildReport, BuildRequest

__all__ = [
    "APPS",
    "SAMPLE_APPS",
    "TABLE_VARIANTS",
    "VARIANTS",
    "SampleApp",
    "build_targets",
    "build_text",
    "copy_app",
    "sample_app",
]

SAMPLE_APPS = Path(__file__).resolve().parent.parent / "sample_apps"

#: Variant -> Dockerfile, in the order the notebooks compare them.
VARIANTS = {"single": "Dockerfile.single", "multi": "Dockerfile", "best": "Dockerfile.best"}
#: The variants the sample table compares: complete apps, each a way to ship the app. The
#: other Dockerfiles are experiments of one notebook each (a slow stage, a wrong order, ...).
TABLE_VARIANTS = ("single", "multi", "best", "stages", "distroless")


@dataclass(frozen=True)
class SampleApp:
    """One app under ``sample_apps/``.

    Attributes:
        name: Directory name (``node``, ``go``, ``python``, ``fullstack``).
        port: The port its server listens on inside the container.
        source: A source file an everyday code change touches.
        manifest: The dependency manifest (a change means reinstalling dependencies).
        dockerfiles: Variant name -> Dockerfile, relative to the app directory.
    """

    name: str
    port: int
    source: str
    manifest: str
    dockerfiles: dict[str, str] = field(default_factory=lambda: dict(VARIANTS))

    @property
    def path(self) -> Path:
        """The app's directory (its build context)."""
        return SAMPLE_APPS / self.name

    def dockerfile_text(self, variant: str) -> str:
        """The text of a variant's Dockerfile."""
        return (self.path / self.dockerfiles[variant]).read_text()

    def stages(self, variant: str, client: docker.DockerClient | None = None) -> list[Stage]:
        """A variant's stages, each base as this machine builds it: the ``FROM`` lines filled from
        the active profile's base images, so a stage graph names the images actually used."""
        text = self.dockerfile_text(variant)
        args = active_profile(client_or_connect(client), say=quiet).build_args_for(text)
        return parse_stages(text, args)

    def listing(self, dockerfile: str, against: str | None = None, stage: str | None = None) -> Listing:
        """A Dockerfile to show before building it: whole, one stage of it, or as a diff against ``against``.

        Args:
            dockerfile: A variant (``best``) or a path relative to the app (``secret/Dockerfile.multi``).
            against: The Dockerfile shown before it, named the same way.
            stage: Show only this stage, from its ``FROM`` to the next (a later notebook shows the rest).
        """
        path = self.dockerfiles.get(dockerfile, dockerfile)
        text, title = (self.path / path).read_text(), f"{self.name}/{path}"
        if stage is not None:
            if against is not None:
                raise UsageError("Show one stage, or a diff against another file, not both.")
            stages = parse_stages(text)
            names = [s.label for s in stages]
            if stage not in names:
                raise UnknownName(f"{title} has no stage {stage!r}; its stages: {stage_list(stages)}.")
            index = names.index(stage)
            starts = [i.line - 1 for i in numbered_instructions(text) if i.keyword == "FROM"]
            lines = text.splitlines()
            shown = lines[starts[index] : starts[index + 1] if index + 1 < len(starts) else len(lines)]
            while shown and (not shown[-1].strip() or shown[-1].lstrip().startswith("#")):
                shown.pop()  # the next stage's comments
            return listing("\n".join(shown) + "\n", f"{title}, stage {stage}")
        if against is None:
            return listing(text, title)
        before = self.dockerfiles.get(against, against)
        return listing(text, title, (self.path / before).read_text(), f"{self.name}/{before}")

    def tag(self, variant: str, target: str | None = None, builder: str = "buildkit") -> str:
        """The tag a variant's image gets, in the project's namespace (one per target and builder)."""
        suffix = (f"-{target}" if target else "") + ("" if builder == "buildkit" else f"-{builder}")
        return f"{BUILD_NAMESPACE}/{self.name}:{variant}{suffix}"

    def command(
        self,
        variant: str,
        builder: str,
        tag: str | None = None,
        client: docker.DockerClient | None = None,
        labels: dict[str, str] | None = None,
    ) -> str:
        """The command that builds ``variant`` at a terminal with ``builder`` on this engine, with the
        active profile's base images as build args and ``labels`` as ``--label`` options
        (:func:`~multistage.build.learner_command`)."""
        client = client_or_connect(client)
        args = active_profile(client, say=quiet).build_args_for(self.dockerfile_text(variant))
        request = BuildRequest(self.dockerfiles[variant], tag=tag, build_args=args, labels=labels or {})
        return learner_command(
            client, builder, through_buildx(client, builder), self.path, request, labels=bool(labels)
        )

    def build(self, variant: str, client: docker.DockerClient | None = None, **options) -> BuildReport:
        """Build one variant with :func:`multistage.build` and tag it.

        Under the classic builder, a variant with cache mounts goes through :func:`build_text`,
        which leaves them out and says so.

        Raises:
            KeyError: ``variant`` is not one of :attr:`dockerfiles`.
        """
        if variant not in self.dockerfiles:
            raise UnknownName(
                f"{self.name} has no variant {variant!r}; choose one of {', '.join(self.dockerfiles)}."
            )
        client = client_or_connect(client)
        options["builder"] = options.get("builder") or default_builder(client)
        tag = options.pop("tag", None) or self.tag(variant, options.get("target"), options["builder"])
        text = self.dockerfile_text(variant)
        if _refused_mounts(text, options["builder"]):
            return build_text(self, text, client=client, tag=tag, **options)
        return build(self.path, self.dockerfiles[variant], tag=tag, client=client, **options)


def sample_app(app: str | SampleApp) -> SampleApp:
    """``app`` itself, or the sample app of that name.

    Raises:
        KeyError: No sample app has that name; the message lists them.
    """
    if isinstance(app, SampleApp):
        return app
    if app not in APPS:
        raise UnknownName(f"there is no sample app {app!r}; choose one of {', '.join(APPS)}.")
    return APPS[app]


def copy_app(app: str | SampleApp, parent: Path) -> Path:
    """Copy an app's sources into ``parent`` (without local installs or builds); return the copy."""
    app = sample_app(app)
    copy = Path(parent) / app.name
    shutil.copytree(app.path, copy, ignore=shutil.ignore_patterns("node_modules", "dist", "__pycache__"))
    return copy


def _refused_mounts(text: str, builder: str) -> bool:
    """Whether ``builder`` is the classic one and ``text`` has cache mounts, which it refuses."""
    return builder == "classic" and without_cache_mounts(text) != text


def build_text(
    app: str | SampleApp,
    dockerfile_text: str,
    client: docker.DockerClient | None = None,
    files: dict[str, str] | None = None,
    **options,
) -> BuildReport:
    """Build ``dockerfile_text`` against a temporary copy of an app (the app itself is untouched).

    Used for experiments and exercises: a changed Dockerfile, same sources. The classic builder
    refuses ``RUN --mount``: under it, cache mounts are left out, after one sentence saying so
    (the image holds the same files; only its rebuilds lose the kept caches).

    Args:
        app: A :class:`SampleApp` or its name.
        dockerfile_text: The Dockerfile to build.
        client: Docker client.
        files: Extra files for the copy, path (relative to the app) to content.
        **options: Passed to :func:`multistage.build.build` (``builder``, ``target``, ...).
    """
    app = sample_app(app)
    client = client_or_connect(client)
    if _refused_mounts(dockerfile_text, options.get("builder") or default_builder(client)):
        print(
            f"This {app.name} Dockerfile is built without its cache mounts: the classic builder refuses "
            "`RUN --mount`, and a cache mount changes how fast a step reruns, not what the image holds."
        )
        dockerfile_text = without_cache_mounts(dockerfile_text)
    with tempfile.TemporaryDirectory(prefix=f"multistage-{app.name}-") as tmp:
        copy = copy_app(app, Path(tmp))
        (copy / "Dockerfile.experiment").write_text(dockerfile_text)
        for name, content in (files or {}).items():
            (copy / name).write_text(content)
        return build(copy, "Dockerfile.experiment", client=client, **options)


def build_targets(
    app: str | SampleApp, variant: str, targets: list[str] | None = None, **options
) -> dict[str, BuildReport]:
    """Build one Dockerfile once per ``--target``; default: every named stage, in order.

    Args:
        app: A :class:`SampleApp` or its name.
        variant: Which of the app's Dockerfiles.
        targets: Stage names (default: all the Dockerfile's stages that have a name).
        **options: Passed to :meth:`SampleApp.build` (``builder``, ``client``, ...).

    Returns:
        Target name -> :class:`BuildReport`, in Dockerfile order.
    """
    app = sample_app(app)
    if targets is None:
        targets = [s.name for s in parse_stages(app.dockerfile_text(variant)) if s.name]
    return {target: app.build(variant, target=target, **options) for target in targets}


APPS: dict[str, SampleApp] = {
    "node": SampleApp(
        "node",
        3000,
        "src/app.ts",
        "package.json",
        {
            **VARIANTS,
            "stages": "Dockerfile.stages",
            "gated": "Dockerfile.gated",
            "slow-stage": "Dockerfile.slow-stage",
            "source-first": "Dockerfile.source-first",
        },
    ),
    "go": SampleApp(
        "go",
        8080,
        "main.go",
        "go.mod",
        {
            **VARIANTS,
            "distroless": "Dockerfile.distroless",
            "runtime": "Dockerfile.runtime",
            "index": "stage-names/Dockerfile.index",
            "index-inserted": "stage-names/Dockerfile.index-inserted",
            "named-inserted": "stage-names/Dockerfile.named-inserted",
        },
    ),
    "python": SampleApp("python", 8000, "app.py", "requirements.txt"),
    "fullstack": SampleApp("fullstack", 8080, "api/main.go", "web/package.json", {"multi": "Dockerfile"}),
}
