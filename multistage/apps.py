"""The sample apps the notebooks build: where they are, their port, their Dockerfile variants."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import docker

from .build import BuildReport, build
from .labels import BUILD_NAMESPACE

SAMPLE_APPS = Path(__file__).resolve().parent.parent / "sample_apps"

#: Variant -> Dockerfile, in the order the notebooks compare them.
VARIANTS = {"single": "Dockerfile.single", "multi": "Dockerfile", "best": "Dockerfile.best"}


@dataclass(frozen=True)
class SampleApp:
    """One app under ``sample_apps/``.

    Attributes:
        name: Directory name (``node``, ``go``, ``python``, ``fullstack``).
        port: The port its server listens on inside the container.
        dockerfiles: Variant name -> Dockerfile, relative to the app directory.
    """

    name: str
    port: int
    dockerfiles: dict[str, str] = field(default_factory=lambda: dict(VARIANTS))

    @property
    def path(self) -> Path:
        """The app's directory (its build context)."""
        return SAMPLE_APPS / self.name

    def tag(self, variant: str) -> str:
        """The tag a variant's image gets, in the project's namespace."""
        return f"{BUILD_NAMESPACE}/{self.name}:{variant}"

    def build(self, variant: str, client: docker.DockerClient | None = None, **options) -> BuildReport:
        """Build one variant with :func:`multistage.build` and tag it.

        Raises:
            KeyError: ``variant`` is not one of :attr:`dockerfiles`.
        """
        if variant not in self.dockerfiles:
            raise KeyError(
                f"{self.name} has no variant {variant!r}; choose one of {', '.join(self.dockerfiles)}."
            )
        return build(self.path, self.dockerfiles[variant], tag=self.tag(variant), client=client, **options)


APPS: dict[str, SampleApp] = {
    "node": SampleApp("node", 3000, {**VARIANTS, "stages": "Dockerfile.stages"}),
    "go": SampleApp("go", 8080),
    "python": SampleApp("python", 8000),
    "fullstack": SampleApp("fullstack", 8080, {"multi": "Dockerfile"}),
}
