"""The labels the project puts on everything it creates in Docker, and how to select by them."""

from __future__ import annotations

__all__ = [
    "BASE_ROLE",
    "BUILD_NAMESPACE",
    "CONTAINER",
    "EXTRA_CA",
    "LOCAL_NAMESPACE",
    "PROFILE",
    "PROJECT",
    "PROJECT_VALUE",
    "RECIPE",
    "ROLE",
    "STANDS_IN_FOR",
    "project_filter",
    "project_labels",
]

PROJECT = "io.github.multistage-tutorial.project"
PROJECT_VALUE = "multistage-tutorial"
ROLE = "io.github.multistage-tutorial.role"
RECIPE = "io.github.multistage-tutorial.recipe-sha256"
STANDS_IN_FOR = "io.github.multistage-tutorial.stands-in-for"
EXTRA_CA = "io.github.multistage-tutorial.extra-ca-certificates"
PROFILE = "io.github.multistage-tutorial.base-profile"

#: Set only on containers the project creates; images never carry it, so nothing inherits it.
CONTAINER = "io.github.multistage-tutorial.container"
#: Repository namespace of images the project builds.
BUILD_NAMESPACE = "multistage-tutorial"
#: Repository namespace of the local base images (the stand-ins), never an official name.
LOCAL_NAMESPACE = "multistage-local"

#: Role value carried by provisioned base images, so ``clean --keep-bases`` can spare them.
BASE_ROLE = "base"


def project_labels(**extra: str) -> dict[str, str]:
    """Return the project label plus ``extra`` labels, ready for a build or a container."""
    labels = {PROJECT: PROJECT_VALUE}
    labels.update(extra)
    return labels


def project_filter() -> dict[str, list[str]]:
    """Return a Docker API ``filters`` value that selects only the project's objects."""
    return {"label": [f"{PROJECT}={PROJECT_VALUE}"]}
