"""Base-image profiles: which image plays each of the document's base images (official or a local stand-in)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import docker

from . import settings
from .cache import cache_root
from .dockerfile import global_args
from .engine import client_or_connect, connect
from .errors import BaseImageUnavailable, UsageError
from .labels import LOCAL_NAMESPACE
from .progress import PullProgress, Say

__all__ = [
    "DOCUMENT_IMAGES",
    "ENGINE_RECIPES",
    "ENGINE_SUITE",
    "KIT_RECIPES",
    "LOCAL",
    "ON_DEMAND_RECIPES",
    "OFFICIAL",
    "RECIPES",
    "RECIPES_BY_NAME",
    "REGISTRY_PROBES",
    "SUITE",
    "UV_VERSION",
    "Profile",
    "Recipe",
    "active_profile",
    "decide_profile",
    "image_present",
    "kit_state_file",
    "pull",
    "pull_official",
    "recipes_for",
    "registry_of",
]

SUITE = "bookworm"

#: The images the document uses, each with the role it plays.
DOCUMENT_IMAGES = {
    "node:18": "Node.js builder",
    "node:18-alpine": "Node.js runtime",
    "golang:1.21": "Go builder",
    "alpine:latest": "minimal image with a shell",
    "python:3.11": "Python builder",
    "python:3.11-slim": "Python runtime",
    "nginx:alpine": "web server",
    "gcr.io/distroless/static-debian12": "distroless runtime",
}

#: Each registry the document's images come from, with the small image whose pull probes it.
REGISTRY_PROBES = {"docker.io": "alpine:latest", "gcr.io": "gcr.io/distroless/static-debian12"}


def registry_of(ref: str) -> str:
    """The registry an image reference names (``gcr.io``, ``localhost:5000``), else Docker Hub's ``docker.io``."""
    first, _, rest = ref.partition("/")
    return first if rest and ("." in first or ":" in first or first == "localhost") else "docker.io"


@dataclass(frozen=True)
class Recipe:
    """How one local stand-in is built.

    Attributes:
        name: Recipe name; its Dockerfile is ``recipes/<name>.Dockerfile``.
        tag: The local image reference, in :data:`LOCAL_NAMESPACE`.
        stands_in_for: Official references this image replaces.
        parent: Recipe whose image is passed as ``BASE`` (``None`` for the debootstrap root).
        files: Other files from ``recipes/`` the Dockerfile copies.
        version: Command printing the main component's version (``None``: no program to ask).
        notes: How it differs from the official image, for docs/base-images.md.
        dockerfile: The recipe Dockerfile's name, when another recipe's is reused with other ``args``.
        args: Build arguments beside ``BASE``.
        suite: The Debian release a root recipe (no ``parent``) is debootstrapped from.
        servers: What the build downloads from besides the Debian mirror, named for the error
            when it fails (``the npm registry (for yarn)``).
    """

    name: str
    tag: str
    stands_in_for: tuple[str, ...]
    parent: str | None
    files: tuple[str, ...] = ()
    version: tuple[str, ...] | None = None
    notes: str = ""
    dockerfile: str = ""
    args: tuple[tuple[str, str], ...] = ()
    suite: str = SUITE
    servers: tuple[str, ...] = ()

    @property
    def dockerfile_name(self) -> str:
        """The file in ``recipes/`` this image is built from."""
        return f"{self.dockerfile or self.name}.Dockerfile"


def _local(name: str, version: str) -> str:
    return f"{LOCAL_NAMESPACE}/{name}:{version}"


#: In build order: every parent comes before its children.
RECIPES: tuple[Recipe, ...] = (
    Recipe(
        "debian-slim",
        _local("debian-slim", SUITE),
        ("debian:bookworm-slim",),
        None,
        version=("cat", "/etc/debian_version"),
        notes="debootstrap minbase; docs and locales removed as in the official slim image; "
        "adds ca-certificates (with the extra CA certificates), which the official slim image lacks",
    ),
    Recipe(
        "buildpack",
        _local("buildpack", SUITE),
        ("buildpack-deps:bookworm",),
        "debian-slim",
        version=("gcc", "-dumpfullversion"),
        notes="build-essential, curl, git, pkg-config, xz-utils only; the official image (and the "
        "Debian 13 stand-in) has many -dev libraries more",
    ),
    Recipe(
        "node-builder",
        _local("node-builder", "18"),
        ("node:18", "node:18-bookworm", "node:18.20.8-bookworm"),
        "buildpack",
        version=("sh", "-c", "echo node $(node --version), npm $(npm --version)"),
        notes="Debian's nodejs and npm packages in /usr, yarn 1.22 from the npm registry; no corepack; "
        "native addons built against the local headers (npm_config_nodedir), not downloaded ones",
        servers=("the npm registry (for yarn)",),
    ),
    Recipe(
        "node-runtime",
        _local("node-runtime", "18"),
        ("node:18-alpine", "node:18.20.8-alpine3.21", "node:18-slim", "node:18-bookworm-slim"),
        "debian-slim",
        version=("node", "--version"),
        notes="glibc Debian rather than musl Alpine, so larger than node:18-alpine; no npm",
    ),
    Recipe(
        "go-builder",
        _local("go-builder", "1.21"),
        ("golang:1.21", "golang:1.21-bookworm", "golang:1.21.13-bookworm"),
        "buildpack",
        version=("go", "version"),
        notes="Go 1.21 from bookworm-backports in /usr/lib/go-1.21; GOPATH /go and GOTOOLCHAIN=local as upstream",
    ),
    Recipe(
        "python-builder",
        _local("python-builder", "3.11"),
        ("python:3.11", "python:3.11-bookworm", "python:3.11.11-bookworm"),
        "buildpack",
        version=("sh", "-c", "python --version && pip --version | cut -d' ' -f1-2"),
        notes="Debian's Python in /usr rather than /usr/local; externally-managed marker removed so pip works as upstream",
    ),
    Recipe(
        "python-runtime",
        _local("python-runtime", "3.11"),
        ("python:3.11-slim", "python:3.11-slim-bookworm", "python:3.11.11-slim-bookworm"),
        "debian-slim",
        version=("python", "--version"),
        notes="Debian's python3 and pip, no compiler or headers",
    ),
    Recipe(
        "busybox",
        _local("busybox", SUITE),
        ("alpine:latest", "alpine"),
        "debian-slim",
        ("apk",),
        version=("sh", "-c", "busybox | head -1"),
        notes="static busybox, Debian's musl (C library and loader, no glibc, as Alpine) and the CA bundle; "
        "its `apk` accepts only packages already present (ca-certificates)",
    ),
    Recipe(
        "static",
        _local("static", SUITE),
        ("gcr.io/distroless/static-debian12", "gcr.io/distroless/static-debian12:nonroot"),
        "debian-slim",
        notes="files of base-files, netbase and tzdata (recorded in status.d as distroless does), the CA bundle, users root, nobody and nonroot (65532); no shell",
    ),
    Recipe(
        "cc",
        _local("cc", SUITE),
        ("gcr.io/distroless/cc-debian12", "gcr.io/distroless/base-debian12"),
        "debian-slim",
        notes="the static stand-in plus the files of libc6, libgcc-s1, libstdc++6 and libssl3; no shell",
        dockerfile="static",
        args=(("PACKAGES", "base-files netbase tzdata libc6 libgcc-s1 libstdc++6 libssl3"),),
    ),
    Recipe(
        "nginx",
        _local("nginx", SUITE),
        ("nginx:alpine",),
        "debian-slim",
        ("nginx-default.conf",),
        version=("nginx", "-v"),
        notes="Debian's nginx laid out like the official image: /usr/share/nginx/html, conf.d, logs to stdout/stderr",
    ),
)
#: The workshop kit's package servers (``python -m multistage kit``): built only when a kit is packed.
KIT_RECIPES: tuple[Recipe, ...] = (
    Recipe(
        "verdaccio",
        _local("verdaccio", "6.5.2"),
        (),
        "node-builder",
        ("verdaccio-package.json", "verdaccio-pack.yaml", "verdaccio-room.yaml"),
        notes="the workshop kit's npm registry cache: verdaccio 6.5.2 from the npm registry",
        servers=("the npm registry (for verdaccio)",),
    ),
    Recipe(
        "devpi",
        _local("devpi", "6.20.3"),
        (),
        "python-runtime",
        notes="the workshop kit's PyPI cache: devpi-server 6.20.3 from PyPI",
        servers=("PyPI (for devpi-server)",),
    ),
)
#: The uv release the uv stand-ins carry (from PyPI).
UV_VERSION = "0.13.9"
#: Debian 13, the root of the current language stand-ins and of the test engine.
ENGINE_SUITE = "trixie"
_TRIXIE = Recipe(
    "debian-trixie",
    _local("debian-slim", ENGINE_SUITE),
    ("debian:trixie-slim",),
    None,
    version=("cat", "/etc/debian_version"),
    notes="Debian 13, made like the bookworm root: the current stand-ins and the test engine start from it",
    dockerfile="debian-slim",
    suite=ENGINE_SUITE,
)


def _distroless(runtime: str, version: str, parent: str, program: str, release: str, tags) -> Recipe:
    """A distroless ``python3`` or ``nodejs`` stand-in (``recipes/distroless-lang.Dockerfile``):
    the files of ``release``'s package and its dependencies, no shell, ENTRYPOINT the runtime."""
    python = runtime == "python3"
    return Recipe(
        f"distroless-{runtime}" + ("-current" if parent == "debian-trixie" else ""),
        _local(f"distroless-{runtime}", version),
        tuple(f"gcr.io/distroless/{runtime}{'-' if python else ''}{tag}" for tag in tags),
        parent,
        notes=f"the files of {release}'s {runtime} ("
        + (f"Python {program.removeprefix('python')}" if python else f"Node {version}")
        + ") and its dependencies, no shell"
        + ("" if python else " and no npm")
        + f"; ENTRYPOINT /usr/bin/{program}"
        + ("" if python else " and /nodejs/bin/node")
        + ", as distroless",
        dockerfile="distroless-lang",
        args=(
            ("RUNTIME", runtime),
            ("KEEP", f"python3 {program}" if python else "node nodejs"),
            ("ENTRY", f"/usr/bin/{program}"),
            ("LINKS", f"/usr/bin/python={program}" if python else "/nodejs/bin/node=/usr/bin/node"),
        ),
    )


#: Stand-ins a learner's own Dockerfile may need and the tutorial's do not: current language
#: versions (Go 1.26 from trixie-backports, Python 3.13 and Node 20 from Debian 13) for a ``FROM``
#: that asks for a newer version than the tutorial's images (``analyze`` maps by version,
#: :data:`multistage.bases.FAMILIES`), distroless python3 and nodejs, and uv. Built on first use
#: by ``analyze`` (:func:`multistage.provision.provision_on_demand`), not by ``setup``.
ON_DEMAND_RECIPES: tuple[Recipe, ...] = (
    _TRIXIE,
    Recipe(
        "buildpack-trixie",
        _local("buildpack", ENGINE_SUITE),
        ("buildpack-deps:trixie",),
        "debian-trixie",
        version=("gcc", "-dumpfullversion"),
        notes="build tools and the -dev libraries of buildpack-deps (libpq, libcurl, libxml2, libffi, "
        "MySQL's...) from Debian 13, without ImageMagick's",
        dockerfile="buildpack-deps",
    ),
    Recipe(
        "go-builder-current",
        _local("go-builder", "1.26"),
        ("golang:1.26", "golang:1.26-trixie"),
        "buildpack-trixie",
        version=("go", "version"),
        notes="Go 1.26 from trixie-backports in /usr/lib/go-1.26; GOPATH /go and GOTOOLCHAIN=local as upstream",
        dockerfile="go-builder",
        args=(("GO_VERSION", "1.26"), ("APT_SUITE", "trixie-backports")),
    ),
    Recipe(
        "python-builder-current",
        _local("python-builder", "3.13"),
        ("python:3.13", "python:3.13-trixie"),
        "buildpack-trixie",
        version=("sh", "-c", "python --version && pip --version | cut -d' ' -f1-2"),
        notes="Debian 13's Python 3.13 in /usr rather than /usr/local, like the 3.11 stand-in",
        dockerfile="python-builder",
    ),
    Recipe(
        "python-runtime-current",
        _local("python-runtime", "3.13"),
        ("python:3.13-slim", "python:3.13-slim-trixie"),
        "debian-trixie",
        version=("python", "--version"),
        notes="Debian 13's python3, pip, venv and C headers, no compiler; python and pip also in "
        "/usr/local/bin as upstream (no /usr/bin/python)",
        dockerfile="python-runtime",
        args=(("OFFICIAL_LAYOUT", "1"),),
    ),
    Recipe(
        "node-builder-current",
        _local("node-builder", "20"),
        ("node:20", "node:20-trixie"),
        "buildpack-trixie",
        version=("sh", "-c", "echo node $(node --version), npm $(npm --version)"),
        notes="Debian 13's nodejs 20 and npm in /usr, yarn 1.22 from the npm registry; no corepack; "
        "native addons built against the local headers (npm_config_nodedir), not downloaded ones",
        dockerfile="node-builder",
        servers=("the npm registry (for yarn)",),
    ),
    Recipe(
        "node-runtime-current",
        _local("node-runtime", "20"),
        ("node:20-slim", "node:20-alpine"),
        "debian-trixie",
        version=("node", "--version"),
        notes="glibc Debian 13 with the Node.js 20 runtime, no npm",
        dockerfile="node-runtime",
    ),
    Recipe(
        "rust-builder",
        _local("rust-builder", "1"),
        ("rust:1", "rust:1-trixie", "rust:latest", "rust"),
        "buildpack-trixie",
        version=("sh", "-c", "rustc --version && cargo --version"),
        notes="Debian 13's rustc and cargo in /usr (no rustup); CARGO_HOME /usr/local/cargo as upstream",
    ),
    Recipe(
        "uv",
        _local("uv", UV_VERSION),
        ("ghcr.io/astral-sh/uv:latest", "ghcr.io/astral-sh/uv"),
        "python-runtime",
        notes=f"uv and uvx {UV_VERSION} from uv's wheel on PyPI, on scratch, as the official image",
        servers=("PyPI (for uv)",),
        dockerfile="uv",
        args=(("UV_VERSION", UV_VERSION), ("FINAL", "alone")),
    ),
    Recipe(
        "uv-python",
        _local("uv-python", f"{UV_VERSION}-python3.13"),
        ("ghcr.io/astral-sh/uv:python3.13-trixie-slim",),
        "python-runtime-current",
        version=("uv", "--version"),
        notes=f"the Python 3.13 runtime stand-in with uv and uvx {UV_VERSION} in /usr/local/bin",
        servers=("PyPI (for uv)",),
        dockerfile="uv",
        args=(("UV_VERSION", UV_VERSION), ("FINAL", "with-python")),
    ),
    _distroless("python3", SUITE, "debian-slim", "python3.11", "Debian 12", ("debian12", "debian12:nonroot")),
    _distroless(
        "python3", ENGINE_SUITE, "debian-trixie", "python3.13", "Debian 13", ("debian13", "debian13:nonroot")
    ),
    _distroless("nodejs", "18", "debian-slim", "node", "Debian 12", ("18-debian12", "18-debian11")),
    _distroless("nodejs", "20", "debian-trixie", "node", "Debian 13", ("20-debian13", "20-debian12")),
)
#: Docker Engine 26 (Debian 13's docker.io and docker-buildx), run as a container by the test
#: harness (:mod:`multistage.harness`): built only when a test or benchmark asks for that engine.
ENGINE_RECIPES: tuple[Recipe, ...] = (
    _TRIXIE,
    Recipe(
        "docker-engine",
        _local("docker-engine", "26"),
        (),
        "debian-trixie",
        ("docker-engine-entrypoint",),
        version=("dockerd", "--version"),
        notes="Debian 13's docker.io, docker-cli, docker-buildx and docker-registry: a current engine for tests",
    ),
)
RECIPES_BY_NAME = {
    recipe.name: recipe for recipe in RECIPES + KIT_RECIPES + ON_DEMAND_RECIPES + ENGINE_RECIPES
}


@dataclass(frozen=True)
class Profile:
    """Which images play the roles of the document's base images.

    Attributes:
        name: ``official``, ``local``, or ``mixed`` (official where its registry can be reached,
            local stand-ins for the images of the registries in ``stood_in``).
        images: Official reference -> the image used for it (only those replaced).
        reason: Why this profile was chosen (printed and kept in results).
        stood_in: For ``mixed``: the registries whose images are replaced.
    """

    name: str
    images: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    stood_in: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """What build reports and the charts' captions say: ``official``, ``local``, or the mix."""
        if self.name != "mixed":
            return self.name
        return f"official, with local stand-ins for {' and '.join(self.stood_in)} images"

    def stands_in(self, ref: str) -> bool:
        """True when ``ref``'s image is replaced by a local stand-in under this profile."""
        return self.name == "local" or (self.name == "mixed" and registry_of(ref) in self.stood_in)

    def resolve(self, ref: str) -> str:
        """Return the image used for ``ref`` under this profile."""
        return self.images.get(ref, ref)

    def build_args_for(self, dockerfile_text: str) -> dict[str, str]:
        """Build args that swap each global ``ARG`` default for this profile's image."""
        return {
            name: self.resolve(default)
            for name, default in global_args(dockerfile_text).items()
            if default and self.resolve(default) != default
        }

    def check_bases(
        self, client: docker.DockerClient, refs: list[str], dockerfile: str = "the Dockerfile"
    ) -> None:
        """Make sure every base a build needs is on the engine, pulling the official ones it lacks.

        An official base is pulled here, with a bytes bar, rather than by the builder in the
        middle of the build, where the learner would see only a silent first step.

        Raises:
            BaseImageUnavailable: A base is missing (local profile), has no stand-in, or its pull failed.
        """
        for ref in refs:
            if ref in self.images:
                raise BaseImageUnavailable(
                    f"{dockerfile} names {ref} directly in FROM, which cannot be pulled here; declare "
                    f"it as `ARG BASE_IMAGE={ref}` before the first FROM and use `FROM ${{BASE_IMAGE}}`."
                )
            if ref.startswith(LOCAL_NAMESPACE + "/"):
                if not image_present(client, ref):
                    raise BaseImageUnavailable(
                        f"The local base image {ref} is not on this engine; run `python -m multistage "
                        "provision` (or `python -m multistage bundle import FILE` from your instructor)."
                    )
            elif self.name == "local":
                raise BaseImageUnavailable(
                    f"{dockerfile} needs {ref}, which the local profile has no stand-in for; use one of "
                    f"{', '.join(sorted(self.images))}, or the official profile with internet access."
                )
            elif not image_present(client, ref):
                pull(client, ref)  # an official image of a registry that answers


def recipes_for(refs) -> tuple[Recipe, ...]:
    """The local bases that stand in for any of ``refs``, with their parents, in build order."""
    needed = {recipe.name for recipe in RECIPES if set(recipe.stands_in_for) & set(refs)}
    for name in list(needed):
        parent = RECIPES_BY_NAME[name].parent
        while parent:
            needed.add(parent)
            parent = RECIPES_BY_NAME[parent].parent
    return tuple(recipe for recipe in RECIPES if recipe.name in needed)


OFFICIAL = Profile("official", {})
LOCAL = Profile("local", {ref: recipe.tag for recipe in RECIPES for ref in recipe.stands_in_for})

_active: Profile | None = None


def decide_profile(
    requested: str, official_present: bool, unreachable: dict[str, str], kit_served: bool = False
) -> Profile:
    """Decide which profile to use: per registry, official where it answers, local stand-ins where not.

    A served workshop kit makes ``auto`` local: the kit serves npm and PyPI packages to the
    stand-ins only, and a room that serves it has no internet for the official images' installs,
    even on a laptop that pulled those images at home.

    Args:
        requested: ``auto``, ``official`` or ``local``.
        official_present: Every document image is already on the engine.
        unreachable: Registry -> why pulling its probe image failed, for the registries that
            were tried and failed (``auto`` only).
        kit_served: ``python -m multistage kit serve`` runs the kit's servers.

    Returns:
        The :class:`Profile` (without the workshop kit's images; :func:`active_profile` adds them).

    Raises:
        MultistageError: ``requested`` is not a known profile.
    """
    if requested not in ("auto", "official", "local"):
        raise UsageError(
            f"Unknown base-image profile {requested!r}; set MULTISTAGE_PROFILE to auto, official or local."
        )
    if requested == "local":
        return Profile("local", LOCAL.images, "requested (MULTISTAGE_PROFILE=local)")
    if requested == "official":
        return Profile("official", {}, "requested (MULTISTAGE_PROFILE=official)")
    if kit_served:
        return Profile("local", LOCAL.images, "the workshop kit is served")
    if official_present:
        return Profile("official", {}, "the document's official images are on this engine")
    if not unreachable:
        return Profile("official", {}, "the document's official images can be pulled")
    if set(unreachable) >= set(REGISTRY_PROBES):
        return Profile(
            "local", LOCAL.images, f"official images cannot be pulled ({next(iter(unreachable.values()))})"
        )
    stood_in = tuple(sorted(unreachable))
    images = {ref: tag for ref, tag in LOCAL.images.items() if registry_of(ref) in stood_in}
    except_ = "; ".join(
        f"{', '.join(f'{ref} ({role})' for ref, role in DOCUMENT_IMAGES.items() if registry_of(ref) == registry)}: "
        f"local stand-in, {registry} not reachable ({unreachable[registry]})"
        for registry in stood_in
    )
    return Profile("mixed", images, f"official images, except {except_}", stood_in)


def active_profile(client: docker.DockerClient | None = None, say: Say | None = None) -> Profile:
    """Return the base-image profile for this process, choosing it on first use.

    ``MULTISTAGE_PROFILE`` (``auto`` by default) decides; ``auto`` uses the local stand-ins
    while the workshop kit is served, else the official images of every registry that has them
    on the engine or lets them be pulled within a short timeout, and the local stand-ins for the
    others (said once, in the printed reason).
    """
    global _active
    if _active is None:
        client = client_or_connect(client)
        requested = settings.PROFILE.value().lower()
        present = {ref: image_present(client, ref) for ref in DOCUMENT_IMAGES}
        served = _served_kit(client)
        unreachable: dict[str, str] = {}
        if requested == "auto" and not all(present.values()) and not served:
            for registry, probe in REGISTRY_PROBES.items():
                if all(present[ref] for ref in DOCUMENT_IMAGES if registry_of(ref) == registry):
                    continue
                error = _try_pull(probe)
                if error is not None:
                    unreachable[registry] = error
        decided = decide_profile(requested, all(present.values()), unreachable, kit_served=bool(served))
        if served and decided.name == "local":
            decided = Profile(
                "local",
                {ref: served["images"].get(tag, tag) for ref, tag in LOCAL.images.items()},
                decided.reason
                + f"; npm and PyPI packages from the workshop kit's servers ({served['npm']}, {served['pypi']})",
            )
        _active = decided
        (say or print)(f"Base-image profile: {_active.label} ({_active.reason}).")
    return _active


def kit_state_file() -> Path:
    """Where ``kit serve`` says which servers run and which stand-ins point at them."""
    return cache_root() / "kit-served.json"


def _served_kit(client: docker.DockerClient) -> dict | None:
    """The served kit's state, when its servers are running; else None (the plain stand-ins are used)."""
    try:
        state = json.loads(kit_state_file().read_text())
        return (
            state if all(client.containers.get(c).status == "running" for c in state["containers"]) else None
        )
    except (FileNotFoundError, json.JSONDecodeError, KeyError, docker.errors.NotFound):
        return None


def pull_official(client: docker.DockerClient, profile: Profile, say: Say = print) -> list[str]:
    """Pull every document image the profile takes from its registry and the engine lacks (setup).

    Under ``mixed``, the images of the registries in ``profile.stood_in`` are left to their
    local stand-ins; under ``local`` nothing is pulled.

    Returns:
        The references pulled.

    Raises:
        BaseImageUnavailable: An image could not be pulled.
    """
    wanted = [ref for ref in DOCUMENT_IMAGES if not profile.stands_in(ref)]
    missing = [ref for ref in wanted if not image_present(client, ref)]
    if wanted and not missing:
        say(f"The {len(wanted)} official base images this profile uses are on the engine.")
    for ref in missing:
        pull(client, ref, say=say)
    return missing


def pull(client: docker.DockerClient, ref: str, say: Say = print) -> None:
    """Pull ``ref`` as ``docker pull`` would, showing a bytes bar (terminal or notebook) while it runs.

    Raises:
        BaseImageUnavailable: The engine could not pull it; the message has the engine's reason.
    """
    say(f"$ docker pull {ref}")
    repository, tag = docker.utils.parse_repository_tag(ref)
    bar = PullProgress(ref)
    outcome = "failed"
    try:
        for message in client.api.pull(repository, tag=tag or "latest", stream=True, decode=True):
            if "error" in message:
                raise docker.errors.APIError(message["error"], explanation=message["error"])
            bar.on_message(message)
        outcome = "pulled"
    except docker.errors.APIError as exc:
        raise BaseImageUnavailable(
            f"Pulling {ref} failed ({exc.explanation or exc}); check the network, or use "
            "MULTISTAGE_PROFILE=local to build offline stand-ins."
        ) from exc
    finally:
        bar.close(outcome)


def _cause(error: str, limit: int = 160) -> str:
    """An engine's one-line error, short: the end names the cause (``… no such host``), so a long
    one keeps its last words, from a word boundary."""
    if len(error) <= limit:
        return error
    tail = error[-(limit - 2) :]
    return "… " + tail[tail.find(" ") + 1 :]


def _try_pull(ref: str, timeout: float = 20) -> str | None:
    try:
        connect(timeout=timeout).images.pull(ref)
    except Exception as exc:  # any failure means "not pullable here"; the reason is reported
        # The engine's own explanation ("... no such host") says more than the HTTP wrapper.
        text = str(getattr(exc, "explanation", None) or exc).strip() or type(exc).__name__
        return _cause(text.splitlines()[0])
    return None


def image_present(client: docker.DockerClient, ref: str) -> bool:
    """True when the engine has an image called ``ref``."""
    try:
        client.images.get(ref)
    except docker.errors.ImageNotFound:
        return False
    return True
