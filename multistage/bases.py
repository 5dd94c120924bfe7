"""Base-image profiles (official images or local stand-ins) and provisioning of the local ones."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import docker

from . import labels as lbl
from .errors import BaseImageUnavailable, MultistageError, NotEnoughDisk

__all__ = [
    "BaseStatus",
    "DOCUMENT_IMAGES",
    "LOCAL",
    "OFFICIAL",
    "Profile",
    "RECIPES",
    "Recipe",
    "active_profile",
    "base_status",
    "decide_profile",
    "extra_ca_certificates",
    "provision",
    "pull_official",
    "recipe_hash",
]

RECIPES_DIR = Path(__file__).parent / "recipes"
#: Namespace of every local stand-in; never an official name.
LOCAL_NAMESPACE = "multistage-local"
SUITE = "bookworm"
MIRROR = os.environ.get("MULTISTAGE_DEBIAN_MIRROR", "http://deb.debian.org/debian")
#: Where extra CA certificates come from: "host" (the host's locally added ones), "none", or a path.
EXTRA_CA_SETTING = "MULTISTAGE_EXTRA_CA_CERTS"
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")
#: Free disk provisioning needs. `python benchmarks/provision.py` measured 1.3 GB of images
#: from nothing (layers shared), plus about 0.4 GB of debootstrap scratch; rounded up with margin.
PROVISION_NEEDS_BYTES = 3 * 10**9

#: The images the document uses, each with the role it plays.
DOCUMENT_IMAGES = {
    "node:18": "Node.js builder",
    "node:18-alpine": "Node.js runtime",
    "golang:1.21": "Go builder",
    "alpine:latest": "minimal image with a shell",
    "python:3.11": "Python builder",
    "python:3.11-slim": "Python runtime",
    "nginx:alpine": "web server",
}


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
    """

    name: str
    tag: str
    stands_in_for: tuple[str, ...]
    parent: str | None
    files: tuple[str, ...] = ()
    version: tuple[str, ...] | None = None
    notes: str = ""


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
        notes="build-essential, curl, git, pkg-config, xz-utils only; the official image has many more -dev libraries",
    ),
    Recipe(
        "node-builder",
        _local("node-builder", "18"),
        ("node:18", "node:18-bookworm", "node:18.20.8-bookworm"),
        "buildpack",
        version=("sh", "-c", "echo node $(node --version), npm $(npm --version)"),
        notes="Debian's nodejs and npm packages in /usr; no yarn or corepack",
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
        notes="static busybox and the CA bundle; its `apk` accepts only packages already present (ca-certificates)",
    ),
    Recipe(
        "static",
        _local("static", SUITE),
        ("gcr.io/distroless/static-debian12", "gcr.io/distroless/static-debian12:nonroot"),
        "debian-slim",
        notes="files of base-files, netbase and tzdata, the CA bundle, users root, nobody and nonroot (65532); no shell",
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
_BY_NAME = {recipe.name: recipe for recipe in RECIPES}


@dataclass(frozen=True)
class Profile:
    """Which images play the roles of the document's base images.

    Attributes:
        name: ``official`` or ``local``.
        images: Official reference -> the image used for it.
        reason: Why this profile was chosen (printed and kept in results).
    """

    name: str
    images: dict[str, str] = field(default_factory=dict)
    reason: str = ""

    def resolve(self, ref: str) -> str:
        """Return the image used for ``ref`` under this profile."""
        return self.images.get(ref, ref)

    def build_args_for(self, dockerfile_text: str) -> dict[str, str]:
        """Build args that swap each global ``ARG`` default for this profile's image."""
        from .stages import global_args

        return {
            name: self.resolve(default)
            for name, default in global_args(dockerfile_text).items()
            if default and self.resolve(default) != default
        }

    def check_bases(
        self, client: docker.DockerClient, refs: list[str], dockerfile: str = "the Dockerfile"
    ) -> None:
        """Make sure every base a build needs is usable under this profile.

        Raises:
            BaseImageUnavailable: A base is missing (local profile) or has no stand-in.
        """
        if self.name != "local":
            return
        for ref in refs:
            if ref in self.images:
                raise BaseImageUnavailable(
                    f"{dockerfile} names {ref} directly in FROM, which cannot be pulled offline; declare "
                    f"it as `ARG BASE_IMAGE={ref}` before the first FROM and use `FROM ${{BASE_IMAGE}}`."
                )
            if not ref.startswith(LOCAL_NAMESPACE + "/"):
                raise BaseImageUnavailable(
                    f"{dockerfile} needs {ref}, which the local profile has no stand-in for; use one of "
                    f"{', '.join(sorted(self.images))}, or the official profile with internet access."
                )
            if not _present(client, ref):
                raise BaseImageUnavailable(
                    f"The local base image {ref} is not on this engine; run `python -m multistage provision` "
                    "(or `python -m multistage bundle import FILE` from your instructor)."
                )


OFFICIAL = Profile("official", {})
LOCAL = Profile("local", {ref: recipe.tag for recipe in RECIPES for ref in recipe.stands_in_for})

_active: Profile | None = None


def decide_profile(requested: str, official_present: bool, pull_error: str | None) -> tuple[str, str]:
    """Decide which profile to use.

    Args:
        requested: ``auto``, ``official`` or ``local``.
        official_present: Every document image is already on the engine.
        pull_error: Why pulling an official image failed, or ``None`` if it worked (or was not tried).

    Returns:
        ``(profile name, reason)``.

    Raises:
        MultistageError: ``requested`` is not a known profile.
    """
    if requested not in ("auto", "official", "local"):
        raise MultistageError(
            f"Unknown base-image profile {requested!r}; set MULTISTAGE_PROFILE to auto, official or local."
        )
    if requested == "local":
        return "local", "requested (MULTISTAGE_PROFILE=local)"
    if requested == "official":
        return "official", "requested (MULTISTAGE_PROFILE=official)"
    if official_present:
        return "official", "the document's official images are on this engine"
    if pull_error is None:
        return "official", "the document's official images can be pulled"
    return "local", f"official images cannot be pulled ({pull_error})"


def active_profile(client: docker.DockerClient | None = None, say=None) -> Profile:
    """Return the base-image profile for this process, choosing it on first use.

    ``MULTISTAGE_PROFILE`` (``auto`` by default) decides; ``auto`` uses the official images when
    they are present or pullable within a short timeout, else the local stand-ins.
    """
    global _active
    if _active is None:
        from .engine import connect

        client = client or connect()
        requested = os.environ.get("MULTISTAGE_PROFILE", "auto").strip().lower() or "auto"
        present = all(_present(client, ref) for ref in DOCUMENT_IMAGES)
        pull_error = None
        if requested == "auto" and not present:
            pull_error = _try_pull("alpine:latest")
        name, reason = decide_profile(requested, present, pull_error)
        base = LOCAL if name == "local" else OFFICIAL
        _active = Profile(base.name, base.images, reason)
        (say or print)(f"Base-image profile: {_active.name} ({reason}).")
    return _active


def pull_official(client: docker.DockerClient, say=print) -> None:
    """Pull every document image that is not on the engine yet (the official profile's setup).

    Raises:
        BaseImageUnavailable: An image could not be pulled.
    """
    for ref in DOCUMENT_IMAGES:
        if _present(client, ref):
            continue
        say(f"  pulling {ref}")
        try:
            client.images.pull(ref)
        except docker.errors.APIError as exc:
            raise BaseImageUnavailable(
                f"Pulling {ref} failed ({exc.explanation or exc}); check the network, or use "
                "MULTISTAGE_PROFILE=local to build offline stand-ins."
            ) from exc


def _try_pull(ref: str, timeout: float = 20) -> str | None:
    from .engine import connect

    try:
        connect(timeout=timeout).images.pull(ref)
    except Exception as exc:  # any failure means "not pullable here"; the reason is reported
        # The engine's own explanation ("... no such host") says more than the HTTP wrapper.
        text = str(getattr(exc, "explanation", None) or exc).strip() or type(exc).__name__
        return text.splitlines()[0][:160]
    return None


def _present(client: docker.DockerClient, ref: str) -> bool:
    try:
        client.images.get(ref)
    except docker.errors.ImageNotFound:
        return False
    return True


# --- provisioning of the local profile -------------------------------------------------------


def extra_ca_certificates() -> list[Path]:
    """Return the extra CA certificate files local bases will trust (see ``MULTISTAGE_EXTRA_CA_CERTS``).

    ``host`` (default) takes the host's locally added certificates from
    ``/usr/local/share/ca-certificates``, which is what a TLS-intercepting proxy needs;
    ``none`` takes nothing; any other value is a ``.crt`` file or a directory of them.

    Raises:
        MultistageError: The setting names a path that does not exist.
    """
    setting = os.environ.get(EXTRA_CA_SETTING, "host").strip() or "host"
    if setting == "none":
        return []
    source = HOST_CA_DIR if setting == "host" else Path(setting)
    if setting != "host" and not source.exists():
        raise MultistageError(
            f"{EXTRA_CA_SETTING}={setting} does not exist; point it at a .crt file or a directory of them, or use 'none'."
        )
    if source.is_file():
        return [source]
    return sorted(p for p in source.rglob("*.crt") if p.is_file()) if source.is_dir() else []


def recipe_hash(recipe: Recipe) -> str:
    """Hash what decides a recipe's image: its Dockerfile and files, its parent's hash, debootstrap's options."""
    digest = hashlib.sha256()
    digest.update((RECIPES_DIR / f"{recipe.name}.Dockerfile").read_bytes())
    for name in recipe.files:
        digest.update(name.encode() + (RECIPES_DIR / name).read_bytes())
    if recipe.parent:
        digest.update(recipe_hash(_BY_NAME[recipe.parent]).encode())
    else:
        # The mirror and the extra CA certificates are left out on purpose: an image made
        # elsewhere (an instructor's bundle) stays current; `provision --force` rebuilds.
        digest.update(f"{SUITE} {_DEBOOTSTRAP_ARGS} {_SLIM_EXCLUDES}".encode())
    return digest.hexdigest()


@dataclass
class BaseStatus:
    """A local base image: its recipe, whether it is present and current, and its size."""

    recipe: Recipe
    present: bool
    current: bool
    size: int | None
    image_id: str | None


def base_status(client: docker.DockerClient) -> list[BaseStatus]:
    """Report every local base: present, built from the current recipe, size."""
    out = []
    for recipe in RECIPES:
        try:
            image = client.images.get(recipe.tag)
        except docker.errors.ImageNotFound:
            out.append(BaseStatus(recipe, False, False, None, None))
            continue
        current = (image.labels or {}).get(lbl.RECIPE) == recipe_hash(recipe)
        out.append(BaseStatus(recipe, True, current, image.attrs["Size"], image.id))
    return out


def provision(client: docker.DockerClient, say=print, force: bool = False) -> list[BaseStatus]:
    """Build every local base whose image is missing or was built from an older recipe.

    Idempotent: an image whose recipe hash label matches is reused. A failed build tags
    nothing (its finished steps stay as build cache for the retry); the bases a rebuild
    replaced are removed.

    Args:
        client: Docker client.
        say: Where progress sentences go.
        force: Rebuild every base even when current.

    Returns:
        The status of every base afterwards.

    Raises:
        NotEnoughDisk: Free disk is below what provisioning needs; checked before starting.
        BaseImageUnavailable: debootstrap or a recipe's build failed; the message names the step.
    """
    from .build import build
    from .engine import engine_facts

    todo = [s.recipe for s in base_status(client) if force or not s.current]
    if not todo:
        say("Local base images are present and current.")
        return base_status(client)
    free = engine_facts(client).free_bytes
    if free is not None and free < PROVISION_NEEDS_BYTES:
        raise NotEnoughDisk(
            f"Provisioning the local base images needs about {PROVISION_NEEDS_BYTES / 1e9:.0f} GB free "
            f"on the Docker disk but only {free / 1e9:.1f} GB is free; free some space "
            "(`python -m multistage clean` removes only this project's images) and retry."
        )
    say(f"Provisioning {len(todo)} local base image(s): {', '.join(r.name for r in todo)}.")
    for recipe in todo:
        labels = {
            lbl.ROLE: lbl.BASE_ROLE,
            lbl.RECIPE: recipe_hash(recipe),
            lbl.STANDS_IN_FOR: ", ".join(recipe.stands_in_for),
        }
        if recipe.parent is None:
            labels[lbl.EXTRA_CA] = ", ".join(c.name for c in extra_ca_certificates()) or "none"
        say(f"  building {recipe.tag} (stands in for {recipe.stands_in_for[0]})")
        try:
            if recipe.parent is None:
                with tempfile.TemporaryDirectory(prefix="multistage-rootfs-", dir="/var/tmp") as tmp:
                    _debootstrap_context(Path(tmp), say)
                    build(
                        tmp,
                        f"{recipe.name}.Dockerfile",
                        tag=recipe.tag,
                        profile=LOCAL,
                        labels=labels,
                        client=client,
                        progress=False,
                    )
            else:
                build(
                    RECIPES_DIR,
                    f"{recipe.name}.Dockerfile",
                    tag=recipe.tag,
                    profile=LOCAL,
                    build_args={"BASE": _BY_NAME[recipe.parent].tag},
                    labels=labels,
                    client=client,
                    progress=False,
                )
        except MultistageError as exc:
            raise BaseImageUnavailable(
                f"Building the local base {recipe.tag} failed: {exc} -- check network access to "
                f"{MIRROR}, or use `python -m multistage bundle import FILE`, or the official profile."
            ) from exc
    _remove_stale(client)
    return base_status(client)


_DEBOOTSTRAP_ARGS = "--variant=minbase --include=ca-certificates --components=main"
#: What the official slim Debian images leave out (as debuerreotype's slimify does).
_SLIM_EXCLUDES = (
    "/usr/share/doc/*",
    "/usr/share/groff/*",
    "/usr/share/info/*",
    "/usr/share/linda/*",
    "/usr/share/lintian/overrides/*",
    "/usr/share/locale/*",
    "/usr/share/man/*",
)
_SLIM_INCLUDES = ("/usr/share/doc/*/copyright",)


def _debootstrap_context(workdir: Path, say) -> None:
    """Make ``workdir`` a build context for the root image: its Dockerfile plus ``rootfs.tar``."""
    from .engine import apt_install

    if not (hasattr(os, "geteuid") and os.geteuid() == 0):
        raise MultistageError(
            "building local base images runs debootstrap, which needs root on a Debian/Ubuntu host"
        )
    if shutil.which("debootstrap") is None:
        apt_install(["debootstrap"], say=say)
    rootfs = workdir / "rootfs"
    say(f"  debootstrap {SUITE} from {MIRROR} (slim: no docs, no locales)")
    _run_step(
        "debootstrap",
        ["debootstrap", *_DEBOOTSTRAP_ARGS.split(), SUITE, str(rootfs), MIRROR],
    )
    _slimify(rootfs)
    certs = extra_ca_certificates()
    if certs:
        target = rootfs / "usr/local/share/ca-certificates/multistage"
        target.mkdir(parents=True, exist_ok=True)
        for cert in certs:
            shutil.copy2(cert, target / cert.name)
        say(
            f"  adding {len(certs)} extra CA certificate(s) ({EXTRA_CA_SETTING}) and running update-ca-certificates"
        )
    # Always run it: the bundle must reflect exactly the certificates present.
    _run_step("update-ca-certificates", ["chroot", str(rootfs), "update-ca-certificates", "--fresh"])
    _run_step(
        "tar of the root file system",
        [
            "tar",
            "-C",
            str(rootfs),
            "--numeric-owner",
            "--exclude=./dev/*",
            "--exclude=./proc/*",
            "--exclude=./sys/*",
            "-cf",
            str(workdir / "rootfs.tar"),
            ".",
        ],
    )
    shutil.rmtree(rootfs)
    shutil.copy2(RECIPES_DIR / "debian-slim.Dockerfile", workdir / "debian-slim.Dockerfile")


def _slimify(rootfs: Path) -> None:
    """Remove docs and locales and keep future apt installs slim, like the official slim images."""
    dpkg_cfg = rootfs / "etc/dpkg/dpkg.cfg.d/docker-slim"
    dpkg_cfg.write_text(
        "".join(f"path-exclude {p}\n" for p in _SLIM_EXCLUDES)
        + "".join(f"path-include {p}\n" for p in _SLIM_INCLUDES)
    )
    apt_conf = rootfs / "etc/apt/apt.conf.d"
    (apt_conf / "docker-clean").write_text(
        'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb '
        '/var/cache/apt/*.bin || true"; };\nAPT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb '
        '/var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n'
        'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";\n'
    )
    (apt_conf / "docker-no-languages").write_text('Acquire::Languages "none";\n')
    for pattern in _SLIM_EXCLUDES:
        folder = rootfs / pattern.strip("/*")
        if not folder.is_dir():
            continue
        for child in folder.iterdir():
            if pattern == "/usr/share/doc/*" and child.is_dir() and not child.is_symlink():
                for item in child.iterdir():
                    if item.name != "copyright":
                        _remove(item)
            else:
                _remove(child)
    for leftover in ("var/lib/apt/lists", "var/cache/apt/archives", "var/log"):
        for child in (rootfs / leftover).glob("*"):
            if child.is_file() or child.is_symlink():
                child.unlink()
    sources = rootfs / "etc/apt/sources.list"
    sources.write_text(
        f"deb {MIRROR} {SUITE} main\ndeb {MIRROR} {SUITE}-updates main\n"
        f"deb {MIRROR.rsplit('/', 1)[0]}/debian-security {SUITE}-security main\n"
    )
    # The host's name and resolver must not be baked into the image; Docker provides both.
    for name in ("etc/hostname", "etc/resolv.conf"):
        path = rootfs / name
        if path.exists() or path.is_symlink():
            path.unlink()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _run_step(step: str, command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        tail = " / ".join((result.stderr or result.stdout).strip().splitlines()[-3:])
        raise MultistageError(f"{step} failed (exit {result.returncode}: {tail})")


def _remove_stale(client: docker.DockerClient) -> None:
    """Remove untagged project images made from a recipe that is no longer current.

    These are the bases a re-provisioning replaced (and anything built on them). Untagged
    images from a current recipe are kept: they are the build cache of later stages.
    """
    current = {recipe_hash(recipe) for recipe in RECIPES}
    filters = dict(lbl.project_filter(), dangling=["true"])
    for image in client.images.list(filters=filters):
        if (image.labels or {}).get(lbl.RECIPE) in current:
            continue
        try:
            client.images.remove(image.id, force=False)
        except docker.errors.APIError:
            pass  # still a parent of something in use; leave it
