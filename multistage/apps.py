"""The sample apps the notebooks build: where they are, their port, their Dockerfile variants."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import docker
import pandas as pd

from .build import BuildReport, build
from .labels import BUILD_NAMESPACE

__all__ = [
    "APPS",
    "TABLE_VARIANTS",
    "HttpsCheck",
    "SampleApp",
    "build_targets",
    "build_text",
    "copy_app",
    "https_check",
    "measure_variants",
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

    def tag(self, variant: str, target: str | None = None, builder: str = "classic") -> str:
        """The tag a variant's image gets, in the project's namespace (one per target and builder)."""
        suffix = (f"-{target}" if target else "") + ("" if builder == "classic" else f"-{builder}")
        return f"{BUILD_NAMESPACE}/{self.name}:{variant}{suffix}"

    def build(self, variant: str, client: docker.DockerClient | None = None, **options) -> BuildReport:
        """Build one variant with :func:`multistage.build` and tag it.

        Raises:
            KeyError: ``variant`` is not one of :attr:`dockerfiles`.
        """
        if variant not in self.dockerfiles:
            raise KeyError(
                f"{self.name} has no variant {variant!r}; choose one of {', '.join(self.dockerfiles)}."
            )
        tag = options.pop("tag", None) or self.tag(
            variant, options.get("target"), options.get("builder", "classic")
        )
        return build(self.path, self.dockerfiles[variant], tag=tag, client=client, **options)


def copy_app(app: str | SampleApp, parent: Path) -> Path:
    """Copy an app's sources into ``parent`` (without local installs or builds); return the copy."""
    import shutil

    app = APPS[app] if isinstance(app, str) else app
    copy = Path(parent) / app.name
    shutil.copytree(app.path, copy, ignore=shutil.ignore_patterns("node_modules", "dist", "__pycache__"))
    return copy


def build_text(
    app: str | SampleApp,
    dockerfile_text: str,
    client: docker.DockerClient | None = None,
    files: dict[str, str] | None = None,
    **options,
) -> BuildReport:
    """Build ``dockerfile_text`` against a temporary copy of an app (the app itself is untouched).

    Used for experiments and exercises: a changed Dockerfile, same sources.

    Args:
        app: A :class:`SampleApp` or its name.
        dockerfile_text: The Dockerfile to build.
        client: Docker client.
        files: Extra files for the copy, path (relative to the app) to content.
        **options: Passed to :func:`multistage.build.build` (``builder``, ``target``, ...).
    """
    import tempfile

    app = APPS[app] if isinstance(app, str) else app
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
    from .stages import parse_stages

    app = APPS[app] if isinstance(app, str) else app
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


def measure_variants(
    client: docker.DockerClient, apps: list[str] | None = None, cold: bool = False, say=print
) -> pd.DataFrame:
    """Build every variant, smoke-test it, and tabulate what its final image is.

    Args:
        client: Docker client.
        apps: App names (default: all).
        cold: Also build each variant without the build cache first, to time a cold build.
        say: Where one progress line per variant goes.

    Only the variants in :data:`TABLE_VARIANTS` are measured.

    Returns:
        One row per app and variant: size, shell, compilers, user, profile, build seconds
        (cold and warm) and the ``/health`` answer's status.
    """
    from .containers import smoke_test
    from .inspect import facts

    rows = []
    for name in apps or list(APPS):
        app = APPS[name]
        for variant, dockerfile in app.dockerfiles.items():
            if variant not in TABLE_VARIANTS:
                continue
            cold_seconds = None
            if cold:
                cold_seconds = app.build(variant, client=client, nocache=True, progress=False).seconds
                # A no-cache build leaves identical twins of layers that several stages share
                # (FROM x; WORKDIR /app). The classic builder then follows one twin and rebuilds
                # the other stage's steps once; after that one build the cache is settled.
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
                    "profile": report.profile,
                    "cold_s": round(cold_seconds, 1) if cold_seconds is not None else None,
                    "warm_s": round(report.seconds, 1),
                    "health": health.status,
                }
            )
            say(f"  {name}/{dockerfile}: {report.size_mb:.1f} MB, GET /health -> {health.status}")
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class HttpsCheck:
    """The Go app's ``fetch`` subcommand run in two images: with and without a CA bundle."""

    url: str
    with_ca: str
    without_ca: str

    @property
    def network_reachable(self) -> bool:
        """False when even the image with CA certificates could not reach ``url`` (offline room)."""
        return not self.with_ca.startswith("error:")

    @property
    def proves_ca_needed(self) -> bool:
        """True when the image with CAs got an answer and the one without failed to verify TLS."""
        return self.network_reachable and "certificate signed by unknown authority" in self.without_ca


def https_check(
    client: docker.DockerClient, with_ca: str, without_ca: str, url: str = "https://registry.npmjs.org/"
) -> HttpsCheck:
    """Run ``fetch url`` (the Go app's HTTPS probe) in two images built from ``sample_apps/go``."""
    from .containers import run_command

    def fetch(image: str) -> str:
        return run_command(client, image, ["fetch", url], check=False)

    return HttpsCheck(url, fetch(with_ca), fetch(without_ca))
