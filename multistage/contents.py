"""Look inside images without running them: what they carry, their layers by instruction, files by stage.

Built on :mod:`multistage.listings` (the layers read once and kept per digest)."""

from __future__ import annotations

import json
import posixpath
import re
import struct
from collections.abc import Collection
from dataclasses import dataclass

import docker
import pandas as pd

from . import commands
from .dockerfile import copy_source, numbered_instructions, parse_stages
from .engine import containerd_store
from .errors import MultistageError, UsageError
from .listings import file_tree, find_in_layers, image_size, layer_listings
from .results import BuildReport, mb

__all__ = [
    "APK_DATABASES",
    "COMPILERS",
    "LOADERS",
    "Loader",
    "PACKAGE_MANAGERS",
    "SHELLS",
    "Surface",
    "ImageFacts",
    "Layer",
    "NodeModules",
    "apk_packages",
    "attack_surface",
    "elf_interpreter",
    "facts",
    "facts_table",
    "files_by_stage",
    "instruction_from_history",
    "largest_paths",
    "layers",
    "layers_dataframe",
    "dynamic_loader",
    "node_modules",
]

SHELLS = ("sh", "bash", "ash", "dash")
PACKAGE_MANAGERS = ("apt-get", "dpkg", "apk", "yum", "dnf", "pip", "pip3", "npm")
COMPILERS = ("gcc", "cc", "g++", "c++", "clang", "go", "rustc", "tsc")


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
class Loader:
    """The dynamic loader an ELF program names (its ``PT_INTERP``), and whether the image has that file."""

    program: str
    path: str | None  # None: a static binary, which names no loader
    present: bool

    def __str__(self) -> str:
        if self.path is None:
            return f"{self.program} is static: it names no dynamic loader"
        where = "present in this image" if self.present else "not in this image"
        return f"{self.program} names the dynamic loader {self.path}: {where}"


def elf_interpreter(head: bytes) -> str | None:
    """The loader an ELF file names (its ``PT_INTERP`` segment), read from its first bytes; None if static.

    Raises:
        MultistageError: ``head`` is not the start of an ELF file, or too short to hold its loader's name.
    """
    if head[:4] != b"\x7fELF":
        raise MultistageError("Not an ELF file: its first bytes are not \\x7fELF.")
    wide, order = head[4] == 2, "<" if head[5] == 1 else ">"
    word = order + ("Q" if wide else "I")
    try:
        phoff = struct.unpack_from(word, head, 0x20 if wide else 0x1C)[0]
        entry_size, count = struct.unpack_from(order + "HH", head, 0x36 if wide else 0x2A)
        for at in range(phoff, phoff + count * entry_size, entry_size):
            if struct.unpack_from(order + "I", head, at)[0] != 3:  # PT_INTERP
                continue
            # p_offset and p_filesz: the 2nd and 5th fields of a program header (after p_flags in ELF64)
            offset = struct.unpack_from(word, head, at + (8 if wide else 4))[0]
            size = struct.unpack_from(word, head, at + (32 if wide else 16))[0]
            if offset + size > len(head):
                break
            return head[offset : offset + size].rstrip(b"\0").decode()
        else:
            return None
    except struct.error:
        pass
    raise MultistageError("The ELF file's loader name lies beyond the bytes read; read more of it.")


def dynamic_loader(client: docker.DockerClient, image: str, program: str) -> Loader:
    """Which dynamic loader ``program`` (an absolute path in ``image``) names, and whether ``image`` has it.

    Raises:
        MultistageError: ``program`` is not a file in ``image``, or not an ELF program.
    """
    hits = [
        hit
        for hit in find_in_layers(client, image, posixpath.basename(program), 16384)
        if hit.path == program
    ]
    if not hits:
        raise UsageError(f"{program} is not a file in {image[:19]}; name the program by its absolute path.")
    path = elf_interpreter(hits[-1].content)
    return Loader(program, path, path is not None and file_tree(client, image).is_file(path))


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
        raise UsageError(
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
