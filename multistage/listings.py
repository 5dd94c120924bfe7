"""Layer listings: an image's layers read once from its export and kept per layer digest, merged into file trees.

What every look inside an image stands on (:mod:`multistage.contents` builds the facts and tables
on it): the one export of an image (``docker save``), each layer's listing (paths, kinds, sizes,
modes; whiteouts and opaque directories apart) cached on disk by digest, the merged tree, the
image's size as the tutorial reports it, and a search of every layer for a file deleted or not.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import posixpath
import re
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

import docker

from .cache import cache_root, write_atomically
from .engine import sizes_need_listings
from .errors import MultistageError
from .progress import ExportProgress
from .results import mb

__all__ = [
    "LISTING_FORMAT",
    "Entry",
    "Export",
    "FileTree",
    "LayerHit",
    "LayerListing",
    "cache_dir",
    "export_cost",
    "exported_layers",
    "file_tree",
    "find_in_layers",
    "image_size",
    "layer_listings",
    "merge_layers",
    "merge_listings",
    "read_image_archive",
    "read_layer",
    "unpacked_size",
]

_SEARCH_PATH = (
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
    "/usr/local/go/bin",
)


@dataclass(frozen=True)
class Entry:
    """One path in an image's merged file system."""

    kind: str  # "file", "dir", "symlink", "hardlink" or "other"
    size: int = 0
    target: str = ""  # link target for symlinks and hardlinks
    mode: int = 0  # permission bits, setuid and setgid included


@dataclass
class FileTree:
    """An image's file system after applying every layer in order (whiteouts included)."""

    entries: dict[str, Entry] = field(default_factory=dict)

    def resolve(self, path: str, _hops: int = 0) -> str | None:
        """Follow symlinks (in the path's directories too) and return the real path, or None if absent."""
        if _hops > 40:
            return None
        parts = [p for p in path.split("/") if p]
        current = "/"
        for index, part in enumerate(parts):
            candidate = posixpath.join(current, part)
            entry = self.entries.get(candidate)
            if entry is not None and entry.kind == "symlink":
                target = (
                    entry.target if entry.target.startswith("/") else posixpath.join(current, entry.target)
                )
                rest = "/".join(parts[index + 1 :])
                return self.resolve(posixpath.normpath(posixpath.join(target, rest)), _hops + 1)
            current = candidate
        if current == "/":
            return "/"
        if current in self.entries:
            return current
        prefix = current + "/"
        return current if any(k.startswith(prefix) for k in self.entries) else None

    def is_file(self, path: str) -> bool:
        """True when ``path`` resolves to a regular file (or a hard link to one)."""
        real = self.resolve(path)
        return real is not None and real in self.entries and self.entries[real].kind in ("file", "hardlink")

    def which(self, program: str) -> str | None:
        """Return the first path of ``program`` on the usual ``PATH`` (plus Go's), like ``which``."""
        dirs = list(_SEARCH_PATH) + sorted(
            {posixpath.dirname(p) for p in self.entries if re.fullmatch(r"/usr/lib/go-[\d.]+/bin/go", p)}
        )
        for folder in dirs:
            if self.is_file(f"{folder}/{program}"):
                return f"{folder}/{program}"
        return None

    def files(self) -> list[tuple[str, int]]:
        """Regular files as ``(path, bytes)``."""
        return [(p, e.size) for p, e in self.entries.items() if e.kind == "file"]


@dataclass(frozen=True)
class LayerListing:
    """What one layer tar holds, without file contents: what a layer's facts depend on.

    A layer is identified by its digest (the ``diff_id``) and never changes, so a listing is
    computed once and kept on disk (see :func:`layer_listings`).
    """

    added: dict[str, Entry]
    removed: frozenset[str] = frozenset()
    opaque: frozenset[str] = frozenset()

    def to_json(self) -> dict:
        """A JSON-ready dict (the on-disk form)."""
        return {
            "added": [[p, e.kind, e.size, e.target, e.mode] for p, e in self.added.items()],
            "removed": sorted(self.removed),
            "opaque": sorted(self.opaque),
        }

    @classmethod
    def from_json(cls, data: dict) -> LayerListing:
        """The inverse of :meth:`to_json`."""
        added = {p: Entry(kind, size, target, mode) for p, kind, size, target, mode in data["added"]}
        return cls(added, frozenset(data["removed"]), frozenset(data["opaque"]))


def read_layer(fileobj) -> LayerListing:
    """List one layer tar (compression detected), its whiteouts and opaque directories apart."""
    added: dict[str, Entry] = {}
    removed: set[str] = set()
    opaque: set[str] = set()
    with tarfile.open(fileobj=fileobj, mode="r:*") as layer:
        for member in layer:
            path = _absolute(member.name)
            folder, name = posixpath.split(path)
            if name == ".wh..wh..opq":
                opaque.add(folder)
            elif name.startswith(".wh."):
                removed.add(posixpath.join(folder, name[4:]))
            else:
                added[path] = _entry(member)
    return LayerListing(added, frozenset(removed), frozenset(opaque))


def merge_listings(listings) -> FileTree:
    """Apply layer listings in order, lowest first, honouring whiteouts and opaque directories."""
    tree: dict[str, Entry] = {}
    for listing in listings:
        if listing.removed or listing.opaque:
            tree = {p: e for p, e in tree.items() if not _hidden(p, listing.removed, listing.opaque)}
        tree.update(listing.added)
    return FileTree(tree)


def merge_layers(layers) -> FileTree:
    """Apply layer tars in order, honouring whiteouts and opaque directories.

    Args:
        layers: Iterable of readable binary file objects, one per layer tar, lowest first.
            Compression (gzip, zstd where supported) is detected.

    Returns:
        The merged :class:`FileTree`.
    """
    return merge_listings(read_layer(fileobj) for fileobj in layers)


#: Bump when :class:`LayerListing` or its reading changes: listings of older versions are not read.
LISTING_FORMAT = 3


def cache_dir() -> Path:
    """Where layer listings are kept, one file per layer digest."""
    return cache_root() / "layers" / f"v{LISTING_FORMAT}"


def layer_listings(client: docker.DockerClient, image: str) -> list[LayerListing]:
    """The listing of every layer of ``image``, lowest first, each computed once per layer digest.

    Listings are read from the cache directory; only when a layer is not there yet (or its
    file cannot be read) is the image exported — the Engine API exports whole images only —
    and the new listings are written atomically, so notebooks running at the same time share
    the cache safely.
    """
    return _listings_and_hits(client, image)[0]


def image_size(client: docker.DockerClient, image: str) -> int:
    """The size every table and chart shows: :func:`unpacked_size`, from the engine's own figure
    where that is the same number (Engine 20.10), else from the layer listings."""
    if sizes_need_listings(client):
        return unpacked_size(client, image)
    return client.images.get(image).attrs["Size"]


def unpacked_size(client: docker.DockerClient, image: str) -> int:
    """The image's size as this tutorial reports it everywhere: bytes of the regular files in its layers.

    This is what ``docker image ls`` shows on Engine 20.10's overlay2 graph driver. Docker 26
    counts more there, and on the containerd store the disk blocks of its
    snapshots, so the same image would change size with the engine; the layer listings give
    the same number on all of them.
    """
    return sum(
        entry.size
        for listing in layer_listings(client, image)
        for entry in listing.added.values()
        if entry.kind == "file"
    )


def _listings_and_hits(
    client: docker.DockerClient, image: str, name: str | None = None, max_bytes: int = 4096
) -> tuple[list[LayerListing], list[LayerHit]]:
    """Layer listings of ``image`` and, when ``name`` is given, every regular file so named in any layer.

    One export at most: it fills the listings that are missing and reads the files' contents.

    Raises:
        MultistageError: The exported archive's layers are not the image's (it changed meanwhile).
    """
    found = client.images.get(image)
    digests = found.attrs["RootFS"].get("Layers") or []
    paths = [cache_dir() / (digest.replace(":", "-") + ".json.gz") for digest in digests]
    listings = [_load_listing(path) for path in paths]  # None: not cached yet, read from the export
    holding = [
        index
        for index, listing in enumerate(listings)
        if listing is None or (name and any(_is_named(p, e, name) for p, e in listing.added.items()))
    ]
    hits: list[LayerHit] = []
    if not holding:
        return cast(list[LayerListing], listings), hits  # none is None: holding names every missing one
    with exported_layers(client, found.id) as (layer_files, exported_digests):
        if exported_digests != digests or len(layer_files) != len(digests):
            raise MultistageError(
                f"The export of {image} holds other layers than the image lists ({len(exported_digests)} "
                f"against {len(digests)}); it was probably rebuilt meanwhile, so run the cell again."
            )
        for index in holding:
            listing = listings[index]
            if listing is None:
                listing = listings[index] = read_layer(layer_files[index])
                write_atomically(paths[index], gzip.compress(json.dumps(listing.to_json()).encode(), 3))
                layer_files[index].seek(0)
            if name and any(_is_named(p, e, name) for p, e in listing.added.items()):
                with tarfile.open(fileobj=layer_files[index], mode="r:*") as layer:
                    for member in layer:
                        if member.isreg() and posixpath.basename(member.name) == name:
                            # A regular member: extractfile returns a file object, never None.
                            data = cast(IO[bytes], layer.extractfile(member)).read(max_bytes)
                            hits.append(LayerHit(index, _absolute(member.name), data))
    return cast(list[LayerListing], listings), hits  # each missing listing was read above


def _is_named(path: str, entry: Entry, name: str) -> bool:
    return entry.kind == "file" and posixpath.basename(path) == name


def _load_listing(path: Path) -> LayerListing | None:
    """A cached listing, or ``None`` when there is none or it cannot be read (it is then made again)."""
    try:
        return LayerListing.from_json(json.loads(gzip.decompress(path.read_bytes())))
    except (OSError, EOFError, ValueError, KeyError, TypeError):
        return None


def _hidden(path: str, removed: set[str], opaque: set[str]) -> bool:
    if path in removed:
        return True
    parent = posixpath.dirname(path)
    child = path
    while child != "/":
        if parent in opaque or child in removed:
            return True
        child, parent = parent, posixpath.dirname(parent)
    return False


def _absolute(name: str) -> str:
    """``./etc/x``, ``etc/x`` or ``/etc/x`` in a layer tar -> ``/etc/x`` (a leading ``.`` of a name stays)."""
    return posixpath.normpath("/" + name.removeprefix("./").lstrip("/"))


def _entry(member: tarfile.TarInfo) -> Entry:
    if member.isreg():
        return Entry("file", member.size, mode=member.mode)
    if member.isdir():
        return Entry("dir")
    if member.issym():
        return Entry("symlink", 0, member.linkname)
    if member.islnk():
        return Entry("hardlink", 0, _absolute(member.linkname))
    return Entry("other")


@dataclass(frozen=True)
class Export:
    """What moving an image costs: the bytes of its export (``docker save``) and the time it took."""

    image: str
    bytes: int
    seconds: float

    @property
    def mb(self) -> float:
        """The export's size in MB (10^6 bytes)."""
        return mb(self.bytes)


def export_cost(client: docker.DockerClient, image: str) -> Export:
    """Export ``image`` as ``docker save`` would and count the bytes, without keeping them.

    A push or a pull moves the same layers (compressed); a ``save``/``load`` moves exactly these bytes.
    """
    found = client.images.get(image)
    bar = ExportProgress(image, found.attrs["Size"], doing="exporting")
    started = time.monotonic()
    received = 0
    try:
        for chunk in client.api.get_image(found.id):
            received += len(chunk)
            bar.advance(len(chunk))
    finally:
        bar.close(f"{mb(received):.0f} MB")
    return Export(image, received, time.monotonic() - started)


@contextlib.contextmanager
def exported_layers(client: docker.DockerClient, image: str) -> Iterator[tuple[list, list[str]]]:
    """Export ``image`` (``docker save``); yield its layer tars (lowest first, readable file objects) and their digests.

    The one place an image is exported, with a progress bar. Both archive layouts are read:
    the classic one (``<id>/layer.tar``) and the OCI one, whose duplicate layers are symlinks
    to the first copy. The digests are the ``diff_ids`` of the exported image's own config.
    On the containerd store the OCI index of an image built through buildx also lists an
    attestation manifest (platform ``unknown/unknown``: buildx's provenance); only the
    archive's ``manifest.json``, which names the image's own config and layers, is read.
    """
    found = client.images.get(image)
    bar = ExportProgress(image, found.attrs["Size"])
    with tempfile.TemporaryFile(suffix=".tar") as handle:
        try:
            for chunk in client.api.get_image(found.id):
                handle.write(chunk)
                bar.advance(len(chunk))
        finally:
            bar.close()
        handle.seek(0)
        with tarfile.open(fileobj=handle) as archive:
            manifest = json.load(_archive_file(archive, "manifest.json"))[0]
            config = json.load(_archive_file(archive, manifest["Config"]))
            yield _layer_files(archive), list(config["rootfs"]["diff_ids"])


def read_image_archive(path: str) -> FileTree:
    """Merge the layers of a ``docker save`` archive (classic or OCI layout) at ``path``."""
    with tarfile.open(path) as archive:
        return merge_layers(_layer_files(archive))


def _archive_file(archive: tarfile.TarFile, name: str) -> IO[bytes]:
    """The file ``name`` of an opened ``docker save`` archive, readable.

    Raises:
        KeyError: The archive has no member ``name``.
        MultistageError: The member ``name`` is not a file.
    """
    handle = archive.extractfile(name)
    if handle is None:
        raise MultistageError(
            f"{name} in the image archive is not a file, so the archive is not a `docker save` export; "
            "export the image again."
        )
    return handle


def _layer_files(archive: tarfile.TarFile) -> list:
    """The layer tars of an opened ``docker save`` archive, lowest first, symlinks followed."""
    files = []
    for name in json.load(_archive_file(archive, "manifest.json"))[0]["Layers"]:
        member = archive.getmember(name)
        if member.issym():
            member = archive.getmember(
                posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname))
            )
        files.append(archive.extractfile(member))
    return files


_TREES: dict[str, FileTree] = {}
#: Trees kept in memory; images never change, so a tree is valid as long as its id exists.
_TREES_KEPT = 8


def file_tree(client: docker.DockerClient, image: str) -> FileTree:
    """``image``'s merged file tree, from its layers' listings (kept in memory per image id too)."""
    image_id = client.images.get(image).id
    if image_id not in _TREES:
        tree = merge_listings(layer_listings(client, image_id))
        while len(_TREES) >= _TREES_KEPT:
            _TREES.pop(next(iter(_TREES)))
        _TREES[image_id] = tree
    return _TREES[image_id]


# --- per-layer search ----------------------------------------------------------------------


@dataclass(frozen=True)
class LayerHit:
    """A file found in one layer of an image, whatever later layers did to it."""

    layer: int  # 0 = the oldest layer
    path: str
    content: bytes


def find_in_layers(
    client: docker.DockerClient, image: str, name: str, max_bytes: int = 4096
) -> list[LayerHit]:
    """Search every layer of ``image`` for regular files called ``name``, deleted or not.

    Deleting a file in a later layer only hides it: anyone with the image can read every
    layer (``docker save``), which is what this does. The layers' listings say first which
    layers hold such a file; the image is exported (once) only to read those files, or to
    list layers not listed before.
    """
    return _listings_and_hits(client, image, name, max_bytes)[1]
