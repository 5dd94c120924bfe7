"""Remove what this project created in Docker, selected by its label and namespaces only."""

from __future__ import annotations

from dataclasses import dataclass

import docker

from . import labels as lbl
from .profiles import ENGINE_RECIPES, KIT_RECIPES, ON_DEMAND_RECIPES, RECIPES
from .progress import Say
from .results import mb

__all__ = [
    "CleanResult",
    "clean",
    "is_removable",
]

#: Repositories the project tags images in; an image with any other tag is never removed.
OWN_NAMESPACES = (lbl.LOCAL_NAMESPACE + "/", lbl.BUILD_NAMESPACE + "/")


@dataclass
class CleanResult:
    """What ``clean`` removed and what it left on purpose."""

    containers: int
    images: int
    kept_bases: int
    kept_foreign: int


def is_removable(image_labels: dict | None, tags: list[str]) -> bool:
    """Decide whether an image belongs to the project.

    Labels are inherited by every image built ``FROM`` a labelled one, so the label alone could
    catch a user's own image built on a tutorial base. An image is the project's only when it
    carries the label *and* all of its tags (if any) are in the project's namespaces.
    """
    if (image_labels or {}).get(lbl.PROJECT) != lbl.PROJECT_VALUE:
        return False
    return all(_unqualified(tag).startswith(OWN_NAMESPACES) for tag in tags)


def _unqualified(tag: str) -> str:
    """Podman names its images in full (``docker.io/multistage-tutorial/go:multi``, ``localhost/...``)."""
    for registry in ("docker.io/", "localhost/"):
        if tag.startswith(registry):
            return tag[len(registry) :]
    return tag


def clean(client: docker.DockerClient, keep_bases: bool = False, say: Say = print) -> CleanResult:
    """Remove the project's containers and images; never anything else.

    Containers are selected by a label the project sets only when it creates a container
    (images never carry it); images by :func:`is_removable`.

    Args:
        client: Docker client.
        keep_bases: Keep the local base images (those built on first use and the test engine's too)
            and the workshop kit's servers (and the layers they are built from).
        say: Where the summary goes.
    """
    # sparse: no per-container inspect, which would race with containers going away.
    containers = client.containers.list(all=True, sparse=True, filters={"label": [lbl.CONTAINER]})
    for container in containers:
        container.remove(force=True)
    keep = set()
    if keep_bases:
        for recipe in RECIPES + KIT_RECIPES + ON_DEMAND_RECIPES + ENGINE_RECIPES:
            try:
                keep.add(client.images.get(recipe.tag).id)
            except docker.errors.ImageNotFound:
                pass
    candidates = client.images.list(all=True, filters=lbl.project_filter())
    foreign = [i for i in candidates if not is_removable(i.labels, i.tags)]
    todo = [i for i in candidates if is_removable(i.labels, i.tags) and i.id not in keep]
    # Children before parents: newest first, repeated while progress is made.
    todo.sort(key=lambda i: i.attrs.get("Created", ""), reverse=True)
    removed = 0
    while todo:
        left = []
        for image in todo:
            try:
                # Never forced: an image a user's container still uses stays.
                for ref in image.tags or [image.id]:
                    client.api.remove_image(ref, force=False, noprune=False)
                removed += 1
            except docker.errors.ImageNotFound:
                removed += 1  # pruned together with a child already
            except docker.errors.APIError:
                left.append(image)  # a kept base, or something not ours, still depends on it
        if len(left) == len(todo):
            break
        todo = left
    result = CleanResult(len(containers), removed, len(keep), len(foreign))
    say(
        f"Removed {result.containers} container(s) and {result.images} image(s) of this project"
        + (f"; kept {result.kept_bases} base image(s)" if keep_bases else "")
        + (
            f"; left {result.kept_foreign} image(s) tagged outside the project's namespaces"
            if foreign
            else ""
        )
        + "."
    )
    cache = _buildkit_cache_bytes(client)
    if cache:
        # BuildKit's cache records carry no labels, so ours cannot be told from the user's.
        say(
            f"BuildKit's build cache holds {mb(cache):.0f} MB, shared with your own builds, so it is "
            "left alone; `docker builder prune` clears it."
        )
    return result


def _buildkit_cache_bytes(client: docker.DockerClient) -> int:
    """Bytes in BuildKit's build cache (0 when the engine does not report it)."""
    try:
        records = client.df().get("BuildCache") or []
    except docker.errors.APIError:
        return 0
    return sum(record.get("Size", 0) for record in records)
