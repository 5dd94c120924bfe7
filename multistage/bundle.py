"""Offline bundle for workshops: save every local base image to one file, load it elsewhere."""

from __future__ import annotations

import datetime as dt
import io
import json
import tarfile
import tempfile
from pathlib import Path
from typing import IO

import docker

from . import labels as lbl
from .errors import BaseImageUnavailable, MultistageError, UsageError
from .profiles import RECIPES, RECIPES_BY_NAME, Recipe
from .progress import Say
from .provision import base_status, recipe_hash

__all__ = [
    "export_bundle",
    "import_bundle",
]

MANIFEST = "multistage-bundle.json"
IMAGES = "images.tar"
FORMAT = 1


def export_bundle(
    client: docker.DockerClient,
    path: str | Path,
    names: list[str] | None = None,
    say: Say = print,
    recipes: tuple[Recipe, ...] = RECIPES,
) -> dict:
    """Write the local base images and a manifest to ``path`` (one plain tar file).

    Args:
        client: Docker client.
        path: The bundle file to write.
        names: Recipe names to include (default: every one of ``recipes``).
        say: Where progress sentences go.
        recipes: The images to choose from (default: the local bases; the workshop kit adds its servers).

    Raises:
        BaseImageUnavailable: A base is missing or out of date; provision first.
    """
    path = Path(path)
    statuses = [s for s in base_status(client, recipes) if names is None or s.recipe.name in names]
    stale = [s.recipe.tag for s in statuses if not s.current]
    if stale:
        raise BaseImageUnavailable(
            f"Cannot export: {', '.join(stale)} missing or out of date; run `python -m multistage provision` first."
        )
    manifest = {
        "format": FORMAT,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "engine": client.version().get("Version"),
        "images": [
            {
                "tag": s.recipe.tag,
                "id": s.image_id,
                "recipe_sha256": recipe_hash(s.recipe),
                "stands_in_for": list(s.recipe.stands_in_for),
                "size": s.size,
            }
            for s in statuses
        ],
    }
    tmp_path = path.with_name(path.name + ".partial")
    try:
        with tempfile.TemporaryFile(dir=path.parent) as images:
            say(f"Saving {len(statuses)} base images (shared layers stored once)...")
            # docker-py saves one image per call; the Engine API saves many at once, sharing layers.
            response = client.api._get(
                client.api._url("/images/get"),
                params={"names": [s.recipe.tag for s in statuses]},
                stream=True,
            )
            client.api._raise_for_status(response)
            for chunk in response.iter_content(chunk_size=1 << 20):
                images.write(chunk)
            images.flush()
            size = images.tell()
            images.seek(0)
            with tarfile.open(tmp_path, "w", format=tarfile.USTAR_FORMAT) as out:
                data = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size = len(data)
                out.addfile(info, fileobj=io.BytesIO(data))
                info = tarfile.TarInfo(IMAGES)
                info.size = size
                out.addfile(info, fileobj=images)
        tmp_path.replace(path)
    finally:
        tmp_path.unlink(missing_ok=True)
    say(f"Wrote {path} ({path.stat().st_size / 1e9:.2f} GB, {len(statuses)} images).")
    return manifest


def import_bundle(client: docker.DockerClient, path: str | Path, say: Say = print) -> dict:
    """Load the base images of a bundle made by :func:`export_bundle` and check them.

    Raises:
        MultistageError: The file is missing or not a bundle of this project.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"There is no bundle at {path}; pass the file your instructor exported.")
    try:
        with tarfile.open(path) as bundle:
            manifest = json.load(_bundle_file(bundle, MANIFEST))
            if manifest.get("format") != FORMAT:
                raise UsageError(f"{path} is a bundle of format {manifest.get('format')}; expected {FORMAT}.")
            images = _bundle_file(bundle, IMAGES)
            say(f"Loading {len(manifest['images'])} base images from {path}...")
            # The engine loads while it streams its answer; leaving the answer unread cancels the load.
            for message in client.api.load_image(iter(lambda: images.read(1 << 20), b""), quiet=True):
                if "error" in message:
                    raise MultistageError(f"The engine could not load {path}: {message['error']}")
    except (KeyError, tarfile.TarError, json.JSONDecodeError) as exc:
        raise UsageError(
            f"{path} is not a multistage bundle ({exc}); make one with `python -m multistage bundle export FILE`."
        ) from exc
    current = {recipe.tag: recipe_hash(recipe) for recipe in RECIPES_BY_NAME.values()}
    for entry in manifest["images"]:
        labels = client.images.get(entry["tag"]).labels or {}
        if labels.get(lbl.RECIPE) != current.get(entry["tag"]):
            say(
                f"  note: {entry['tag']} was built from a different recipe than this checkout's; "
                "`provision` will rebuild it when a network is available."
            )
    say("Bundle loaded.")
    return manifest


def _bundle_file(bundle: tarfile.TarFile, name: str) -> IO[bytes]:
    """The file ``name`` of an opened bundle, readable.

    Raises:
        KeyError: The bundle has no member ``name``.
        tarfile.TarError: The member ``name`` is not a file; :func:`import_bundle` then says the
            bundle is not one, as it does for a missing member.
    """
    handle = bundle.extractfile(name)
    if handle is None:
        raise tarfile.TarError(f"{name} is not a file")
    return handle
