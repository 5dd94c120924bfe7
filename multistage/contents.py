"""Look inside images without running them: size, layers by instruction, files of the final tree."""

from __future__ import annotations

import contextlib
import gzip
import json
import posixpath
import re
import tarfile
import tempfile
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

import docker
import pandas as pd

from . import commands
from .cache import cache_root, write_atomically
from .dockerfile import copy_source, numbered_instructions, parse_stages
from .engine import containerd_store, sizes_need_listings
from .errors import MultistageError
from .progress import ExportProgress
from .results import BuildReport, mb

__all__ = [
    "APK_DATABASES",
    "COMPILERS",
    "LISTING_FORMAT",
    "LOADERS",
    "PACKAGE_MANAGERS",
    "SHELLS",
    "Surface",
    "Entry",
    "Export",
    "FileTree",
    "ImageFacts",
    "Layer",
    "LayerHit",
    "LayerListing",
    "NodeModules",
    "apk_packages",
    "attack_surface",
    "cache_dir",
    "export_cost",
    "exported_layers",
    "facts",
    "facts_table",
    "file_tree",
    "files_by_stage",
    "find_in_layers",
    "image_size",
    "instruction_from_history",
    "largest_paths",
    "layer_listings",
    "layers",
    "layers_dataframe",
    "merge_layers",
    "merge_listings",
    "node_modules",
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
SHELLS = ("sh", "bash", "ash", "dash")
PACKAGE_MANAGERS = ("apt-get", "dpkg", "apk", "yum", "dnf", "pip", "pip3", "npm")
COMPILERS = ("gcc", "cc", "g++", "c++", "clang", "go", "rustc", "tsc")


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


@dataclass(frozen=True)
class ImageFacts:
    """What an image carries, read from its files without running it."""

    image: str
    size: int
    shell: str | None
    package_managers: tuple[str, ...]
    compilers: tuple[str, ...]
    file_count: int
    user: str  # the image's USER; "" means root
    libc: tuple[str, ...] = ()  # the C libraries whose dynamic loader the image holds (glibc, musl)

    @property
    def runs_as_root(self) -> bool:
        """True when containers of the image start as root (no USER, or USER root/0)."""
        return self.user.split(":")[0] in ("", "root", "0")

    def as_row(self) -> dict:
        """A flat dict for a table row."""
        return {
            "image": self.image,
            "size_mb": round(mb(self.size), 1),
            "shell": self.shell or "none",
            "package_managers": ", ".join(self.package_managers) or "none",
            "compilers": ", ".join(self.compilers) or "none",
            "libc": ", ".join(self.libc) or "none",
            "user": self.user or "root",
        }


#: C library -> its dynamic loader's file name: a dynamically linked program asks the kernel for
#: exactly this file, so an image without it cannot start programs linked against that library.
LOADERS = {
    "glibc": re.compile(r"ld-linux[-\w.]*\.so\.\d"),
    "musl": re.compile(r"ld-musl-\w+\.so\.1"),
}


def facts(client: docker.DockerClient, image: str) -> ImageFacts:
    """Read shell, package managers, compilers, C library, file count and user from ``image``."""
    tree = file_tree(client, image)
    files = tree.files()
    names = {posixpath.basename(path) for path in tree.entries}
    shell = next((p for p in (tree.which(s) for s in SHELLS) if p), None)
    attrs = client.images.get(image).attrs
    return ImageFacts(
        image=image,
        size=image_size(client, image),
        user=(attrs.get("Config") or {}).get("User") or "",
        shell=shell,
        package_managers=tuple(p for p in PACKAGE_MANAGERS if tree.which(p)),
        compilers=tuple(c for c in COMPILERS if tree.which(c)),
        file_count=len(files),
        libc=tuple(name for name, loader in LOADERS.items() if any(map(loader.fullmatch, names))),
    )


@dataclass(frozen=True)
class Surface:
    """What an attacker could use in an image, counted offline from its files.

    Attributes:
        os_packages: Packages dpkg's database lists (``info/*.list``, or distroless's
            ``status.d``) plus those apk's lists (a ``P:`` line each in ``lib/apk/db/installed``).
        executables: Regular files with an execute bit.
        setuid: Regular files with the setuid or setgid bit.
    """

    os_packages: int
    executables: int
    setuid: int


#: Where apk keeps its database of installed packages (apk-tools 2, and 3 from Alpine 3.22).
APK_DATABASES = ("/lib/apk/db/installed", "/usr/lib/apk/db/installed")


def apk_packages(database: bytes) -> int:
    """The packages in an apk ``installed`` database: one ``P:<name>`` line per package's stanza."""
    return sum(1 for line in database.splitlines() if line.startswith(b"P:"))


def attack_surface(client: docker.DockerClient, image: str) -> Surface:
    """Count OS packages (dpkg's and apk's databases), executables and setuid/setgid files in ``image``.

    No vulnerability database is needed: these are what an image's own files say.
    """
    entries = file_tree(client, image).entries
    packages = sum(
        1
        for path, entry in entries.items()
        if entry.kind == "file"
        and (
            (path.startswith("/var/lib/dpkg/info/") and path.endswith(".list"))
            or path.startswith("/var/lib/dpkg/status.d/")
            and "." not in posixpath.basename(path)
        )
    )
    present = [path for path in APK_DATABASES if path in entries and entries[path].kind == "file"]
    if present:
        # The newest layer's copy is the one the image holds; a database can be megabytes.
        hits = [
            hit
            for hit in find_in_layers(client, image, "installed", max_bytes=1 << 26)
            if hit.path in present
        ]
        packages += apk_packages(hits[-1].content) if hits else 0
    regular = [entry for entry in entries.values() if entry.kind == "file"]
    return Surface(
        os_packages=packages,
        executables=sum(1 for e in regular if e.mode & 0o111),
        setuid=sum(1 for e in regular if e.mode & 0o6000),
    )


def largest_paths(
    client: docker.DockerClient, image: str, depth: int = 2, top: int = 10, under: str = "/"
) -> pd.DataFrame:
    """Sum file sizes per directory ``depth`` levels below ``under``; return the biggest ``top``."""
    totals: dict[str, int] = {}
    root = under.rstrip("/")
    for path, size in file_tree(client, image).files():
        if not path.startswith(root + "/"):
            continue
        key = root + "/" + "/".join(path[len(root) + 1 :].split("/")[:depth])
        totals[key] = totals.get(key, 0) + size
    rows = sorted(totals.items(), key=lambda kv: kv[1], reverse=True)[:top]
    frame = pd.DataFrame([{"path": p, "mb": round(mb(s), 2)} for p, s in rows])
    return commands.with_commands(
        frame, [commands.file_listing(commands.cli(client), commands.name_of(client, image))]
    )


# --- layers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    """One history entry of an image, attributed to the instruction that made it."""

    instruction: str
    size: int
    from_base: bool


_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s+")
_RUN = re.compile(r"^(?:\|\d+(?: \S+=\S*)* )?/bin/sh -c ")


def instruction_from_history(created_by: str) -> str:
    """Turn a history ``CreatedBy`` into the Dockerfile instruction that made it.

    Handles the classic builder's ``/bin/sh -c #(nop) COPY ...`` and ``/bin/sh -c cmd``
    forms (with the ``|N ARG=value`` prefix of build args) and BuildKit's ``RUN ... # buildkit``.
    """
    text = created_by.strip()
    if text.endswith("# buildkit"):
        text = text[: -len("# buildkit")].strip()
        return re.sub(r"^RUN (?:\|\d+(?: \S+=\S*)* )?/bin/sh -c ", "RUN ", text)
    if _NOP.match(text):
        return _NOP.sub("", text).strip()
    if _RUN.match(text):
        return "RUN " + _RUN.sub("", text).strip()
    return text


def layers(
    client: docker.DockerClient, image: str, base: str | None = None, instructions: list[str] | None = None
) -> list[Layer]:
    """Return ``image``'s history oldest first, each entry with its instruction and size.

    Args:
        client: Docker client.
        image: Image reference or id.
        base: The final stage's base image; its entries are marked ``from_base``.
        instructions: The final stage's instructions after its ``FROM``, if known. Both builders
            write one history entry per instruction, right after the base's, so these name
            the added entries exactly (history only says ``COPY dir:3f2a...``). The classic
            builder appends one ``LABEL`` entry per build label after them.
    """
    history = list(reversed(client.api.history(image)))
    base_count = len(client.api.history(base)) if base else 0
    names = [instruction_from_history(h.get("CreatedBy", "")) for h in history]
    if instructions and len(instructions) <= len(history) - base_count:
        names[base_count : base_count + len(instructions)] = instructions
    sizes = [int(h.get("Size", 0)) for h in history]
    if containerd_store(client):
        sizes = _unpacked_layer_sizes(client, image, sizes)
    return [
        Layer(name, size, i < base_count) for i, (name, size) in enumerate(zip(names, sizes, strict=True))
    ]


def _unpacked_layer_sizes(client: docker.DockerClient, image: str, engine_sizes: list[int]) -> list[int]:
    """Each history entry's size as :func:`unpacked_size` counts it: the bytes of its layer's files.

    On the containerd store the engine's history sizes are its snapshots' disk blocks, above
    zero exactly for the entries that made a layer, in the order of the image's layers; where
    the counts differ, the engine's own sizes are kept.
    """
    listings = layer_listings(client, image)
    made = [i for i, size in enumerate(engine_sizes) if size > 0]
    if len(made) != len(listings):
        return engine_sizes
    sizes = [0] * len(engine_sizes)
    for index, listing in zip(made, listings, strict=True):
        sizes[index] = sum(entry.size for entry in listing.added.values() if entry.kind == "file")
    return sizes


def layers_dataframe(client: docker.DockerClient, report: BuildReport) -> pd.DataFrame:
    """The layers of a build's image as a DataFrame: instruction, size_mb, from_base.

    Args:
        client: Docker client.
        report: A :class:`~multistage.results.BuildReport`; its Dockerfile (kept in the report:
            its context may be a temporary copy that is gone) names the final stage's layers
            and its base.
    """
    text = report.dockerfile_text
    stages = parse_stages(text, report.build_args)
    chain = [next(s for s in stages if s.label == report.target) if report.target else stages[-1]]
    while chain[-1].base_stage is not None:  # FROM an earlier stage: its instructions come first
        chain.append(stages[chain[-1].base_stage])
    base = None if chain[-1].base.lower() == "scratch" else chain[-1].base
    indexes = {s.index for s in chain}
    own = [i.text for i in numbered_instructions(text) if i.stage in indexes and i.keyword != "FROM"]
    frame = pd.DataFrame(
        [
            {"instruction": x.instruction, "size_mb": mb(x.size), "from_base": x.from_base}
            for x in layers(client, report.image_id, base, own)
        ],
        columns=["instruction", "size_mb", "from_base"],
    )
    ref = commands.image_ref(report.image_id, report.tags)
    return commands.with_commands(frame, [commands.history(commands.cli(client), ref)])


# --- node_modules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeModules:
    """What an image's ``node_modules`` holds, split by the lockfile's ``dev`` flag."""

    prod_mb: float
    dev_mb: float
    dev_packages: int
    prod_packages: int
    table: pd.DataFrame  # package, mb, dev
    command: str = ""  # the terminal's nearest equivalent: every file of the image, with sizes


def node_modules(
    client: docker.DockerClient, image: str, lockfile: str, root: str = "/app/node_modules"
) -> NodeModules:
    """Measure the packages under ``root`` in ``image``, marking development-only ones.

    ``package-lock.json`` (v2/v3) flags every package only reachable from devDependencies
    with ``"dev": true``; each file is attributed to its innermost package directory.
    """
    lock = json.loads(open(lockfile).read())
    flags = {path: bool(meta.get("dev")) for path, meta in lock.get("packages", {}).items() if path}
    sizes: dict[str, int] = {}
    prefix = root.rstrip("/") + "/"
    base = root.rstrip("/").rsplit("/", 1)[0] + "/"  # the directory holding node_modules
    for path, size in file_tree(client, image).files():
        if not path.startswith(prefix):
            continue
        key = _package_of(path[len(base) :], flags.keys())
        if key:
            sizes[key] = sizes.get(key, 0) + size
    table = pd.DataFrame(
        [
            {"package": k.rsplit("node_modules/", 1)[1], "mb": mb(v), "dev": flags.get(k, False)}
            for k, v in sizes.items()
        ],
        columns=["package", "mb", "dev"],
    ).sort_values("mb", ascending=False, ignore_index=True)
    dev = table[table["dev"]]
    prod = table[~table["dev"]]
    listing = commands.file_listing(commands.cli(client), commands.name_of(client, image))
    commands.with_commands(table, [listing])
    return NodeModules(
        round(prod["mb"].sum(), 2), round(dev["mb"].sum(), 2), len(dev), len(prod), table, listing
    )


def _package_of(relative: str, installed: Collection[str] = ()) -> str | None:
    """``node_modules/a/node_modules/@s/b/x.js`` -> ``node_modules/a/node_modules/@s/b``.

    With ``installed`` (the lockfile's package paths), the innermost of those: a directory
    called ``node_modules`` inside a package (a test fixture, say) is not a package of its own.
    """
    parts = relative.split("/")
    found: list[str] = []
    index = 0
    while index < len(parts) - 1:
        if parts[index] == "node_modules" and index + 1 < len(parts) - 1:
            width = 2 if parts[index + 1].startswith("@") else 1
            index += 1 + width
            found.append("/".join(parts[:index]))
        else:
            index += 1
    known = [path for path in found if path in installed] or found
    return known[-1] if known else None


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


def files_by_stage(client: docker.DockerClient, report: BuildReport) -> pd.DataFrame:
    """The files the final stage added to its base, each with the instruction and the stage it came from.

    The final stage's ``RUN``/``COPY``/``ADD`` instructions made the image's top layers, in
    order; a ``COPY --from=<stage>`` layer's files came from that stage.

    Args:
        client: Docker client.
        report: The :class:`~multistage.results.BuildReport` of the image.

    Returns:
        One row per regular file: ``path``, ``bytes``, ``stage``, ``instruction``.

    Raises:
        MultistageError: The layers cannot be matched to the instructions (the final stage
            starts from another stage, or the counts differ).
    """
    text = report.dockerfile_text
    stages = parse_stages(text, report.build_args)
    final = next(s for s in stages if s.label == report.target) if report.target else stages[-1]
    owned = []
    for item in numbered_instructions(text):
        if item.stage == final.index and item.keyword in ("RUN", "COPY", "ADD"):
            owned.append((item.text, copy_source(item.value) or final.label))
    if final.base_stage is not None:
        raise MultistageError(
            f"Stage {final.label} starts from another stage; pass a report whose final stage starts from an image."
        )
    base_layers = (
        0 if final.base == "scratch" else len(client.images.get(final.base).attrs["RootFS"]["Layers"])
    )
    added = layer_listings(client, report.image_id)[base_layers:]
    if len(added) != len(owned):
        raise MultistageError(
            f"The image has {len(added)} layers above its base but the final stage has "
            f"{len(owned)} RUN/COPY/ADD instructions; files cannot be attributed."
        )
    rows = [
        {"path": path, "bytes": entry.size, "stage": stage, "instruction": instruction}
        for listing, (instruction, stage) in zip(added, owned, strict=True)
        for path, entry in listing.added.items()
        if entry.kind == "file"
    ]
    frame = pd.DataFrame(rows, columns=["path", "bytes", "stage", "instruction"])
    tool, ref = commands.cli(client), commands.image_ref(report.image_id, report.tags)
    return commands.with_commands(frame, [commands.history(tool, ref), commands.file_listing(tool, ref)])


def facts_table(client: docker.DockerClient, images: dict[str, str]) -> pd.DataFrame:
    """:func:`facts` and :func:`attack_surface` of several images as one table, indexed by the given labels."""
    rows = {}
    for label, image in images.items():
        surface = attack_surface(client, image)
        rows[label] = {
            **facts(client, image).as_row(),
            "os_packages": surface.os_packages,
            "executables": surface.executables,
            "setuid_setgid": surface.setuid,
        }
    frame = pd.DataFrame(rows).T.drop(columns=["image"])
    tool = commands.cli(client)
    return commands.with_commands(
        frame, [commands.file_listing(tool, commands.name_of(client, image)) for image in images.values()]
    )
