"""Provisioning of the local profile's base images: debootstrap a slim Debian root, then build each recipe."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import docker

from . import labels as lbl
from . import settings
from .build import build
from .engine import apt_install, engine_facts
from .errors import BaseImageUnavailable, MultistageError, NotEnoughDisk, UsageError
from .profiles import LOCAL, ON_DEMAND_RECIPES, RECIPES, RECIPES_BY_NAME, Recipe
from .progress import Say, experiment

__all__ = [
    "provision_on_demand",
    "EXTRA_CA_SETTING",
    "HOST_CA_DIR",
    "PROVISION_NEEDS_BYTES",
    "RECIPES_DIR",
    "BaseStatus",
    "base_status",
    "extra_ca_certificates",
    "provision",
    "recipe_hash",
]

RECIPES_DIR = Path(__file__).parent / "recipes"

#: Where extra CA certificates come from: "host" (the host's locally added ones), "none", or a path.
EXTRA_CA_SETTING = settings.EXTRA_CA_CERTS.name
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")
#: Free disk provisioning needs. `python benchmarks/provision.py` measured 1.3 GB of images
#: from nothing (layers shared), plus about 0.4 GB of debootstrap scratch; rounded up with margin.
PROVISION_NEEDS_BYTES = 3 * 10**9


def extra_ca_certificates() -> list[Path]:
    """Return the extra CA certificate files local bases will trust (see ``MULTISTAGE_EXTRA_CA_CERTS``).

    ``host`` (default) takes the host's locally added certificates from
    ``/usr/local/share/ca-certificates``, which is what a TLS-intercepting proxy needs;
    ``none`` takes nothing; any other value is a ``.crt`` file or a directory of them.

    Raises:
        MultistageError: The setting names a path that does not exist.
    """
    setting = settings.EXTRA_CA_CERTS.value()
    if setting == "none":
        return []
    source = HOST_CA_DIR if setting == "host" else Path(setting)
    if setting != "host" and not source.exists():
        raise UsageError(
            f"{EXTRA_CA_SETTING}={setting} does not exist; point it at a .crt file or a directory of them, or use 'none'."
        )
    if source.is_file():
        return [source]
    return sorted(p for p in source.rglob("*.crt") if p.is_file()) if source.is_dir() else []


def recipe_hash(recipe: Recipe) -> str:
    """Hash what decides a recipe's image: its Dockerfile and files, its parent's hash, debootstrap's options."""
    digest = hashlib.sha256()
    digest.update((RECIPES_DIR / recipe.dockerfile_name).read_bytes() + repr(recipe.args).encode())
    for name in recipe.files:
        digest.update(name.encode() + (RECIPES_DIR / name).read_bytes())
    if recipe.parent:
        digest.update(recipe_hash(RECIPES_BY_NAME[recipe.parent]).encode())
    else:
        # The mirror and the extra CA certificates are left out on purpose: an image made
        # elsewhere (an instructor's bundle) stays current; `provision --force` rebuilds.
        digest.update(f"{recipe.suite} {_DEBOOTSTRAP_ARGS} {_SLIM_EXCLUDES}".encode())
    return digest.hexdigest()


@dataclass
class BaseStatus:
    """A local base image: its recipe, whether it is present and current, and its size."""

    recipe: Recipe
    present: bool
    current: bool
    size: int | None
    image_id: str | None


def base_status(client: docker.DockerClient, recipes: tuple[Recipe, ...] = RECIPES) -> list[BaseStatus]:
    """Report every local base (or every one of ``recipes``): present, built from the current recipe, size."""
    out = []
    for recipe in recipes:
        try:
            image = client.images.get(recipe.tag)
        except docker.errors.ImageNotFound:
            out.append(BaseStatus(recipe, False, False, None, None))
            continue
        current = (image.labels or {}).get(lbl.RECIPE) == recipe_hash(recipe)
        out.append(BaseStatus(recipe, True, current, image.attrs["Size"], image.id))
    return out


def provision(
    client: docker.DockerClient, say: Say = print, force: bool = False, recipes: tuple[Recipe, ...] = RECIPES
) -> list[BaseStatus]:
    """Build every local base whose image is missing or was built from an older recipe.

    Idempotent: an image whose recipe hash label matches is reused. A failed build tags
    nothing (its finished steps stay as build cache for the retry); the bases a rebuild
    replaced are removed.

    Args:
        client: Docker client.
        say: Where progress sentences go.
        force: Rebuild every base even when current.
        recipes: Which images (default: the local bases; the workshop kit adds its servers).

    Returns:
        The status of every base afterwards.

    Raises:
        NotEnoughDisk: Free disk is below what provisioning needs; checked before starting.
        BaseImageUnavailable: debootstrap or a recipe's build failed; the message names the step.
    """
    todo = [s.recipe for s in base_status(client, recipes) if force or not s.current]
    if not todo:
        say("Local base images are present and current.")
        return base_status(client, recipes)
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
        role = f"stands in for {recipe.stands_in_for[0]}" if recipe.stands_in_for else "workshop kit"
        say(f"  building {recipe.tag} ({role})")
        started = time.monotonic()
        try:
            with tempfile.TemporaryDirectory(prefix="multistage-rootfs-", dir="/var/tmp") as tmp:
                if recipe.parent is None:
                    _debootstrap_context(Path(tmp), recipe.suite, say)
                    context, args = Path(tmp), {}
                else:
                    context, args = (
                        RECIPES_DIR,
                        {"BASE": RECIPES_BY_NAME[recipe.parent].tag, **dict(recipe.args)},
                    )
                with experiment("provisioning"):
                    build(
                        context,
                        recipe.dockerfile_name,
                        tag=recipe.tag,
                        profile=LOCAL,
                        build_args=args,
                        labels=labels,
                        client=client,
                    )
        except BaseImageUnavailable:
            raise
        except MultistageError as exc:
            # The sentence only; a build failure's log tail is kept on the error's cause.
            raise BaseImageUnavailable(
                f"Building the local base {recipe.tag} failed: {exc.args[0]} -- check network access to "
                f"{' and '.join((settings.DEBIAN_MIRROR.value(), *recipe.servers))}, or use "
                "`python -m multistage bundle import FILE`, or the official profile."
            ) from exc
        say(f"    done in {time.monotonic() - started:.0f} s")
    _remove_stale(client)
    return base_status(client, recipes)


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


def _debootstrap_context(workdir: Path, suite: str, say: Say) -> None:
    """Make ``workdir`` a build context for a root image of Debian ``suite``: its Dockerfile plus ``rootfs.tar``."""
    if not (hasattr(os, "geteuid") and os.geteuid() == 0):
        raise BaseImageUnavailable(
            "Building the local base images runs debootstrap, which needs root on a Debian or Ubuntu "
            "host; run `python -m multistage provision` there, or `python -m multistage bundle import FILE`."
        )
    if shutil.which("debootstrap") is None:
        apt_install(["debootstrap"], say=say)
    rootfs = workdir / "rootfs"
    mirror = settings.DEBIAN_MIRROR.value()
    say(f"  debootstrap {suite} from {mirror} (slim: no docs, no locales)")
    _run_step(
        "debootstrap",
        ["debootstrap", *_DEBOOTSTRAP_ARGS.split(), suite, str(rootfs), mirror],
    )
    _slimify(rootfs, suite)
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


def _slimify(rootfs: Path, suite: str) -> None:
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
    mirror = settings.DEBIAN_MIRROR.value()
    sources.write_text(
        f"deb {mirror} {suite} main\ndeb {mirror} {suite}-updates main\n"
        f"deb {mirror.rsplit('/', 1)[0]}/debian-security {suite}-security main\n"
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
    current = {recipe_hash(recipe) for recipe in RECIPES_BY_NAME.values()}
    filters = dict(lbl.project_filter(), dangling=["true"])
    for image in client.images.list(filters=filters):
        recipe = (image.labels or {}).get(lbl.RECIPE)
        if recipe is None or recipe in current:
            continue  # not made from a base (another build's untagged image), or from a current one
        try:
            client.images.remove(image.id, force=False)
        except docker.errors.APIError:
            pass  # still a parent of something in use; leave it


def provision_on_demand(client: docker.DockerClient, images, say: Say = print) -> None:
    """Build the on-demand stand-ins among ``images`` (and their parents) that are missing or out
    of date: :data:`~multistage.profiles.ON_DEMAND_RECIPES` are built on first use only."""
    names = {recipe.name for recipe in ON_DEMAND_RECIPES if recipe.tag in set(images)}
    for recipe in reversed(ON_DEMAND_RECIPES):  # children after parents in the tuple: walk back
        if recipe.name in names and recipe.parent:
            names.add(recipe.parent)
    recipes = tuple(recipe for recipe in ON_DEMAND_RECIPES if recipe.name in names)
    if not recipes or all(status.current for status in base_status(client, recipes)):
        return
    say(
        "This Dockerfile needs a stand-in the tutorial's own files do not (a newer language "
        "version, a distroless language image, uv): building it from Debian's packages, once (a few minutes)."
    )
    provision(client, say=say, recipes=recipes)
