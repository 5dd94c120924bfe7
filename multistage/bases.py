"""Any Dockerfile's base images under the active profile: each literal `FROM` mapped to a stand-in by family.

The tutorial's own Dockerfiles take their bases through ``ARG`` so a profile can swap them;
a learner's Dockerfile names them directly (``FROM python:3.12-slim``). On the local profile
each such reference is mapped, by family, to the local stand-in that plays that role, in a
copy of the Dockerfile — the learner's file is never changed — and the mapping is reported:
requested, used, and what differs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from .dockerfile import from_parts, global_args, numbered_instructions, parse_stages, substitute
from .errors import BaseImageUnavailable
from .profiles import ON_DEMAND_RECIPES, UV_VERSION, Profile

#: The on-demand stand-ins (current versions, distroless languages, uv), built on first use
#: (:data:`~multistage.profiles.ON_DEMAND_RECIPES`).
STAND_INS = {ref: recipe.tag for recipe in ON_DEMAND_RECIPES for ref in recipe.stands_in_for}

__all__ = [
    "FAMILIES",
    "Mapped",
    "Rewritten",
    "map_reference",
    "normalise",
    "rewrite_bases",
]


@dataclass(frozen=True)
class Family:
    """Images that play one role, and the document image whose stand-in plays it locally."""

    name: str
    pattern: re.Pattern
    role_of: str  # a reference the local profile has a stand-in for
    version: str  # what the stand-in provides, for the "what differs" column
    libc: str
    current: tuple[str, str] | None = None  # (role, version) of the stand-in for newer versions
    version_at: str = r":(\d+(?:\.\d+)*)"  # where a reference states its version

    def choose(self, ref: str) -> tuple[str, str]:
        """The stand-in role and its version for ``ref``: the tutorial's, or the current one
        when ``ref`` asks for a newer version, a whole line (``python:3``) or none (``latest``)."""
        if self.current is None:
            return self.role_of, self.version
        wanted, have = _version(ref, self.version_at), _version(self.role_of, self.version_at)
        if wanted is None or have is None or len(wanted) < len(have) or wanted > have[: len(wanted)]:
            return self.current
        return self.role_of, self.version


def _version(ref: str, at: str) -> tuple[int, ...] | None:
    """``golang:1.23.4-alpine`` -> ``(1, 23, 4)`` (``at`` finds it); ``None`` where none is stated."""
    found = re.search(at, ref)
    return tuple(int(part) for part in found[1].split(".")) if found else None


#: Most specific first: ``node:20-alpine`` is a Node runtime before it is a Node image.
FAMILIES: tuple[Family, ...] = (
    Family(
        "node slim/alpine",
        re.compile(r"node:.*(alpine|slim)"),
        "node:18-alpine",
        "Node 18",
        "glibc",
        ("node:20-slim", "Node 20"),
    ),
    Family("node", re.compile(r"node(:|$)"), "node:18", "Node 18", "glibc", ("node:20", "Node 20")),
    Family(
        "python slim",
        re.compile(r"python:.*(slim|alpine)"),
        "python:3.11-slim",
        "Python 3.11",
        "glibc",
        ("python:3.13-slim", "Python 3.13"),
    ),
    Family(
        "python",
        re.compile(r"python(:|$)"),
        "python:3.11",
        "Python 3.11",
        "glibc",
        ("python:3.13", "Python 3.13"),
    ),
    Family(
        "golang", re.compile(r"golang(:|$)"), "golang:1.21", "Go 1.21", "glibc", ("golang:1.26", "Go 1.26")
    ),
    Family(
        "gcc",
        re.compile(r"gcc(:|$)"),
        "buildpack-deps:bookworm",
        "Debian 12's gcc 12 and build-essential",
        "glibc",
    ),
    Family("rust", re.compile(r"rust(:|$)"), "rust:1", "Debian 13's Rust 1.85, no rustup", "glibc"),
    Family("alpine", re.compile(r"alpine(:|$)"), "alpine:latest", "busybox and musl", "musl"),
    Family("debian", re.compile(r"debian(:|$)"), "debian:bookworm-slim", "Debian 12", "glibc"),
    Family("nginx", re.compile(r"nginx(:|$)"), "nginx:alpine", "Debian's nginx", "glibc"),
    Family(
        "distroless static",
        re.compile(r"gcr\.io/distroless/static"),
        "gcr.io/distroless/static-debian12",
        "Debian 12 files",
        "none",
    ),
    Family(
        "uv with python",
        re.compile(r"ghcr\.io/astral-sh/uv:.*python"),
        "ghcr.io/astral-sh/uv:python3.13-trixie-slim",
        f"Python 3.13 and uv {UV_VERSION}",
        "glibc",
    ),
    Family(
        "uv",
        re.compile(r"ghcr\.io/astral-sh/uv(:|$)"),
        "ghcr.io/astral-sh/uv:latest",
        f"uv {UV_VERSION}",
        "none",
    ),
    Family(
        "distroless python3",
        re.compile(r"gcr\.io/distroless/python3"),
        "gcr.io/distroless/python3-debian12",
        "Python 3.11 on Debian 12 files",
        "glibc",
        ("gcr.io/distroless/python3-debian13", "Python 3.13 on Debian 13 files"),
        version_at=r"-debian(\d+)",
    ),
    Family(
        "distroless nodejs",
        re.compile(r"gcr\.io/distroless/nodejs"),
        "gcr.io/distroless/nodejs18-debian12",
        "Node 18 on Debian 12 files",
        "glibc",
        ("gcr.io/distroless/nodejs20-debian13", "Node 20 on Debian 13 files"),
        version_at=r"nodejs(\d+)",
    ),
    Family(
        "distroless base/cc",
        re.compile(r"gcr\.io/distroless/(base|cc)"),
        "gcr.io/distroless/cc-debian12",
        "Debian 12's glibc, libstdc++ and OpenSSL",
        "glibc",
    ),
)


def normalise(ref: str) -> str:
    """``docker.io/library/node:20@sha256:…`` -> ``node:20``: the name a family is matched on
    (``mirror.gcr.io``, Google's mirror of Docker Hub, counts as Docker Hub)."""
    ref = ref.split("@", 1)[0]
    for prefix in ("docker.io/", "index.docker.io/", "mirror.gcr.io/", "library/"):
        ref = ref.removeprefix(prefix)
    return ref


@dataclass(frozen=True)
class Mapped:
    """One base image as requested and as used under the active profile."""

    requested: str
    used: str
    family: str
    differs: str


def map_reference(ref: str, profile: Profile, builds_with_npm: bool = False) -> Mapped:
    """The image used for ``ref``: itself (official profile), or the local stand-in of its family.

    The local Node runtime stand-in has no npm (the official ``node:*-alpine`` has), so a Node
    slim/alpine stage that runs npm, npx, yarn or pnpm gets the Node builder stand-in instead.

    Raises:
        BaseImageUnavailable: The local profile has no stand-in for this kind of image; the
            sentence lists the families it has.
    """
    if ref == "scratch" or not profile.stands_in(normalise(ref)):
        return Mapped(ref, ref, "as written", "")
    name = normalise(ref)
    family = next((f for f in FAMILIES if f.pattern.match(name)), None)
    if name in profile.images and family is None:
        return Mapped(ref, profile.images[name], "tutorial image", "")
    if family is None:
        raise BaseImageUnavailable(
            f"{ref} has no local stand-in; the local profile can stand in for "
            f"{', '.join(f.name for f in FAMILIES)} and scratch — use one of those, or the official "
            "profile with internet access (MULTISTAGE_PROFILE=official)."
        )
    requested_libc = "musl" if "alpine" in name else family.libc
    role, version = family.choose(name)
    differs = [f"stand-in has {version}"]
    if requested_libc != family.libc:
        differs.append(f"libc: {requested_libc} requested, {family.libc} used")
    if name in profile.images:
        role = name
    if family.name == "node slim/alpine" and builds_with_npm:
        role = next(f for f in FAMILIES if f.name == "node").choose(name)[0]
        differs.append("the stage runs npm, so the Node builder stand-in (the runtime one has no npm)")
    return Mapped(ref, {**STAND_INS, **profile.images}[role], family.name, "; ".join(differs))


@dataclass(frozen=True)
class Rewritten:
    """A Dockerfile with its base images replaced for the active profile.

    Attributes:
        text: The Dockerfile to build (the learner's own, when nothing needed replacing).
        bases: One :class:`Mapped` per distinct base reference.
        notes: Lines changed for other reasons (a ``# syntax`` line on the local profile).
    """

    text: str
    bases: list[Mapped]
    notes: list[str]

    def table(self) -> pd.DataFrame:
        """requested -> used -> family, what differs."""
        return pd.DataFrame([vars(b) for b in self.bases], columns=["requested", "used", "family", "differs"])


_SYNTAX = re.compile(r"^#\s*syntax\s*=", re.IGNORECASE)
_NODE_TOOLS = re.compile(r"\b(npm|npx|yarn|pnpm)\b")


def rewrite_bases(text: str, profile: Profile) -> Rewritten:
    """Replace every base image reference of ``text`` for ``profile``: ``FROM`` lines, ``ARG`` defaults, ``COPY --from=<image>``.

    Stage names and ``scratch`` stay. A ``# syntax=`` line is commented out on the local
    profile: it would make BuildKit fetch a Dockerfile frontend from a registry.

    Raises:
        BaseImageUnavailable: A base has no stand-in (see :func:`map_reference`).
    """
    lines = text.splitlines()
    notes: list[str] = []
    if profile.stands_in("docker/dockerfile") and lines and _SYNTAX.match(lines[0]):
        notes.append(f"`{lines[0].strip()}` was left out: it fetches a frontend from a registry")
        lines[0] = "# (syntax line left out by the analysis: no registry) " + lines[0]
    defaults = global_args(text)
    stage_names = {s.name for s in parse_stages(text) if s.name}
    numbered = numbered_instructions(text)
    npm_stages = {i.stage for i in numbered if i.keyword == "RUN" and _NODE_TOOLS.search(i.value)}
    # Global ARGs that name a whole base (`FROM ${BASE}`): their defaults are swapped on their ARG
    # line. Others (`BUILDPLATFORM`, a registry prefix, a version) stay as written.
    whole = {
        match[1]
        for i in numbered
        if i.keyword == "FROM" and (match := re.fullmatch(r"\$\{?(\w+)\}?", from_parts(i.value)[0]))
    } | {
        match[1]
        for i in numbered
        if i.keyword in ("COPY", "ADD", "RUN")
        for match in re.finditer(r"--(?:mount=\S*?)?from=\$\{?(\w+)\}?(?=[\s,]|$)", i.value)
    }
    mapped: dict[tuple[str, bool], Mapped] = {}

    def swap(ref: str, builds_with_npm: bool = False) -> str:
        if ref == "scratch" or ref in stage_names or ref.isdigit() or "$" in ref:
            return ref
        key = (ref, builds_with_npm)
        mapped.setdefault(key, map_reference(ref, profile, builds_with_npm))
        return mapped[key].used

    for item in numbered:
        line = lines[item.line - 1]
        if item.keyword == "FROM":
            image, _ = from_parts(item.value)
            # `FROM golang:${GO_VERSION}`: its default decides the family. A whole-image
            # `FROM ${BASE}` stays: its ARG line's default is swapped instead (below).
            if "$" in image and not re.fullmatch(r"\$\{?\w+\}?", image):
                resolved = substitute(image, defaults, keep_unknown=True)
                used = swap(resolved, item.stage in npm_stages)
                if used != resolved:
                    lines[item.line - 1] = line.replace(image, used, 1)
                continue
            used = swap(image, item.stage in npm_stages)
            if used != image:
                lines[item.line - 1] = line.replace(image, used, 1)
        elif item.keyword == "ARG" and item.stage < 0:
            for name, default in defaults.items():
                if (
                    default
                    and name in whole
                    and re.match(rf"\s*ARG\s+{re.escape(name)}\s*=", line)
                    and _looks_like_image(default)
                ):
                    used = swap(default)
                    lines[item.line - 1] = line.replace(default, used, 1)
        elif item.keyword in ("COPY", "ADD"):
            source = re.search(r"--from=(\S+)", line)
            if source and ("/" in source[1] or ":" in source[1]):
                used = swap(source[1])
                lines[item.line - 1] = line.replace(f"--from={source[1]}", f"--from={used}", 1)
    return Rewritten("\n".join(lines) + "\n", list(mapped.values()), notes)


def _looks_like_image(value: str) -> bool:
    """An ``ARG`` default that names an image (``node:20``, ``gcr.io/x/y``), not a version or a flag."""
    return bool(re.fullmatch(r"[a-z0-9][a-z0-9._/-]*(:[\w.-]+)?(@sha256:[0-9a-f]+)?", value)) and (
        ":" in value or "/" in value or any(f.pattern.match(normalise(value)) for f in FAMILIES)
    )
