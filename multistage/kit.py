"""The workshop kit: everything a laptop needs beside the git clone, packed once, served in a room with no internet.

``kit pack`` (on a machine with a network) writes one directory:

- ``bases.tar`` — the local base images and the two package servers' images (a bundle);
- ``wheels/`` — a wheelhouse for ``requirements.txt``, so ``make`` installs with no package index;
- ``npm/`` — verdaccio's storage: every npm package the sample builds and exercises install;
- ``pypi/`` — devpi-server's storage: every PyPI file they install, build dependencies included;
- ``kit.json`` — what is in it: architecture, platforms, counts and sizes.

The npm and PyPI storage is filled by the real installs: each lockfile and requirements file
of the sample apps is installed once, in a container of the stand-in that installs it in the
builds, through the servers running as caches of the public registries. ``kit serve`` starts the
same servers with no upstream at all and points the stand-ins at them: the builds find npm's
and pip's standard settings (``npm_config_registry``, ``PIP_INDEX_URL``) in their base images'
environment, so no Dockerfile is edited.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import docker

from . import labels as lbl
from .apps import SAMPLE_APPS
from .build import build
from .bundle import export_bundle, import_bundle
from .containers import run_command
from .engine import engine_host, ports_published_here
from .errors import MultistageError, UsageError
from .profiles import KIT_RECIPES, LOCAL, RECIPES, RECIPES_BY_NAME, kit_state_file
from .progress import Say, experiment, quiet
from .provision import base_status, provision
from .results import mb

__all__ = [
    "KIT_DIR",
    "PLATFORMS",
    "Served",
    "pack",
    "serve",
    "stop",
]

REPO = SAMPLE_APPS.parent
#: Where the kit is packed and, in the room, unpacked (beside the clone; ``make`` looks here).
KIT_DIR = REPO / "kit"
MANIFEST = "kit.json"
FORMAT = 1
NPM_PORT = 4873
PYPI_PORT = 3141
#: Participants' platforms -> pip's platform tags for wheels that run there.
PLATFORMS = {
    "linux-x86_64": ("manylinux_2_28_x86_64", "manylinux2014_x86_64"),
    "linux-aarch64": ("manylinux_2_28_aarch64", "manylinux2014_aarch64"),
    "macos-arm64": ("macosx_14_0_arm64",),
    "macos-x86_64": ("macosx_13_0_x86_64",),
}
#: Beside requirements.txt: what `make` needs to install the package itself with no index.
BUILD_TOOLS = ("pip", "setuptools>=68", "wheel")


@dataclass(frozen=True)
class Served:
    """The kit's servers as the builds reach them (container addresses on the engine's bridge)."""

    npm: str
    pypi: str
    containers: tuple[str, ...]
    images: dict[str, str]


def pack(
    client: docker.DockerClient,
    directory: str | Path = KIT_DIR,
    platforms: tuple[str, ...] = (),
    pythons: tuple[str, ...] = (),
    say: Say = print,
) -> dict:
    """Write everything a laptop needs beside the clone to ``directory``.

    Args:
        client: Docker client (the engine provisions and runs the servers).
        directory: The kit directory (created; an earlier kit there is refilled).
        platforms: Participants' platforms from :data:`PLATFORMS` for the wheelhouse (besides this one).
        pythons: Their Python versions (e.g. ``3.11``), for those platforms.
        say: Where progress sentences go.

    Returns:
        The manifest written to ``kit.json``.

    Raises:
        UsageError: An unknown platform.
        MultistageError: An install that failed (the sentence names it).
    """
    _require_engine_here()
    directory = Path(directory).resolve()
    unknown = set(platforms) - set(PLATFORMS)
    if unknown:
        raise UsageError(
            f"Unknown platform {', '.join(sorted(unknown))}; choose from {', '.join(PLATFORMS)}."
        )
    for part in ("npm", "pypi", "wheels"):
        (directory / part).mkdir(parents=True, exist_ok=True)
    say("Packing the workshop kit: base images and package servers...")
    provision(client, say=say)
    provision(client, say=say, recipes=KIT_RECIPES)
    wheels = _wheelhouse(directory / "wheels", platforms, pythons, say)
    with _servers(client, directory, room=False, say=say) as served:
        _fill_package_caches(client, served, say)
    say("Saving the base images and the servers' images...")
    export_bundle(client, directory / "bases.tar", say=say, recipes=RECIPES + KIT_RECIPES)
    manifest = _manifest(client, directory, wheels)
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    say(
        f"Kit written to {directory}: {sum(manifest['size_mb'].values()) / 1e3:.2f} GB for {manifest['architecture']} "
        f"engines; {manifest['npm_tarballs']} npm packages, {manifest['pypi_files']} PyPI files, wheels for "
        f"{', '.join(wheels)}."
    )
    return manifest


def _manifest(client: docker.DockerClient, directory: Path, wheels: list[str]) -> dict:
    """What ``kit.json`` says of a kit: when and for which engine it was packed, what it holds."""
    return {
        "format": FORMAT,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "architecture": client.info().get("Architecture"),
        "engine": client.version().get("Version"),
        "wheels": wheels,
        "npm_tarballs": sum(1 for _ in (directory / "npm").rglob("*.tgz")),
        "pypi_files": sum(
            1 for p in (directory / "pypi").rglob("*") if p.suffix in (".whl", ".gz", ".zip") and p.is_file()
        ),
        "size_mb": {
            part: round(mb(_size(directory / part)), 1) for part in ("bases.tar", "wheels", "npm", "pypi")
        },
    }


def _fill_package_caches(client: docker.DockerClient, served: Served, say: Say) -> None:
    """Install every sample app's npm and pip dependencies through the kit's servers, which keep a copy."""
    for lockfile in sorted(SAMPLE_APPS.rglob("package-lock.json")):
        if "node_modules" in lockfile.parts:
            continue
        app = lockfile.parent
        with experiment(f"kit: npm ci for {app.relative_to(REPO)}"):
            say(f"  npm ci for {app.relative_to(REPO)}")
            run_command(
                client,
                RECIPES_BY_NAME["node-builder"].tag,
                [
                    "sh",
                    "-c",
                    "mkdir /tmp/app && cp /app/package*.json /tmp/app/ && cd /tmp/app && npm ci",
                ],
                timeout=900,
                environment={"npm_config_registry": served.npm, "npm_config_fund": "false"},
                mounts={app: "/app"},
            )
    for requirements in sorted(SAMPLE_APPS.rglob("requirements*.txt")):
        with experiment(f"kit: pip install -r {requirements.relative_to(REPO)}"):
            say(f"  pip install -r {requirements.relative_to(REPO)}")
            run_command(
                client,
                RECIPES_BY_NAME["python-builder"].tag,
                ["pip", "install", "--target", "/tmp/site", "-r", f"/app/{requirements.name}"],
                timeout=900,
                # devpi-server fetches each project from PyPI on its first request, which can take
                # longer than pip's 15 s read timeout (it did here, 2026-12-02: flask's index page).
                environment={**_pip_environment(served.pypi), "PIP_DEFAULT_TIMEOUT": "120"},
                mounts={requirements.parent: "/app"},
            )


def serve(client: docker.DockerClient, directory: str | Path = KIT_DIR, say: Say = print) -> Served:
    """Start the kit's npm and PyPI servers with no upstream, and point the stand-ins at them.

    Loads ``bases.tar`` first when a base or server image is missing. Afterwards every notebook
    (in a new kernel) builds with the kit's packages; ``python -m multistage kit stop`` ends it.

    Raises:
        MultistageError: ``directory`` is not a packed kit, or its architecture is not the engine's.
    """
    _require_engine_here()
    directory = Path(directory).resolve()
    if not (directory / MANIFEST).is_file():
        raise UsageError(
            f"{directory} holds no workshop kit ({MANIFEST} is missing); copy the kit your instructor "
            "packed there, or pack one with `python -m multistage kit pack`."
        )
    manifest = json.loads((directory / MANIFEST).read_text())
    architecture = client.info().get("Architecture")
    if manifest["architecture"] != architecture:
        raise UsageError(
            f"This kit was packed for {manifest['architecture']} engines and this engine is {architecture}; "
            f"use a kit packed on a {architecture} machine (the guide's 'mixed room' section)."
        )
    if not all(s.current for s in base_status(client, RECIPES + KIT_RECIPES)):
        import_bundle(client, directory / "bases.tar", say=say)
    served = _start(client, directory, room=True, say=say)
    kit_state_file().parent.mkdir(parents=True, exist_ok=True)
    kit_state_file().write_text(
        json.dumps(
            {
                "npm": served.npm,
                "pypi": served.pypi,
                "containers": served.containers,
                "images": served.images,
            },
            indent=2,
        )
    )
    say(
        f"Serving the kit: npm on 127.0.0.1:{NPM_PORT} ({manifest['npm_tarballs']} packages), PyPI on "
        f"127.0.0.1:{PYPI_PORT} ({manifest['pypi_files']} files). Builds started from now on (restart "
        "running kernels) use them; `python -m multistage kit stop` ends it."
    )
    return served


def stop(client: docker.DockerClient, say: Say = print) -> None:
    """Stop the kit's servers (only the containers this project started for them)."""
    filters = {"label": [f"{lbl.PROJECT}={lbl.PROJECT_VALUE}", f"{lbl.CONTAINER}=kit-server"]}
    stopped = client.containers.list(all=True, filters=filters)
    for container in stopped:
        container.remove(force=True)
    kit_state_file().unlink(missing_ok=True)
    say(f"Stopped {len(stopped)} kit server(s)." if stopped else "No kit server was running.")


@contextlib.contextmanager
def _servers(client: docker.DockerClient, directory: Path, room: bool, say: Say):
    """The servers for the length of a ``with`` block (packing), removed afterwards."""
    served = _start(client, directory, room, say)
    try:
        yield served
    finally:
        stop(client, say=quiet)


def _require_engine_here() -> None:
    """The servers read and write the kit on this machine's disk and answer on its 127.0.0.1."""
    if not ports_published_here():
        raise UsageError(
            f"The workshop kit serves packages from this machine's disk and ports, which the engine at "
            f"{engine_host()} cannot use; pack and serve the kit with an engine on this laptop."
        )


def _start(client: docker.DockerClient, directory: Path, room: bool, say: Say) -> Served:
    """Run verdaccio and devpi-server on the engine's bridge, published on 127.0.0.1 for the health check."""
    # Files in the kit stay the user's: the servers run with the user's ids on a Linux engine.
    user = f"{os.getuid()}:{os.getgid()}" if hasattr(os, "getuid") and sys.platform == "linux" else ""
    stop(client, say=quiet)  # an earlier kit's servers hold the names and the ports
    try:
        npm = _run_server(
            client,
            "verdaccio",
            ["--config", f"/etc/verdaccio/verdaccio-{'room' if room else 'pack'}.yaml"],
            {directory / "npm": "/verdaccio/storage"},
            NPM_PORT,
            user,
        )
        pypi = _run_server(
            client,
            "devpi",
            ["--offline-mode"] if room else [],
            {directory / "pypi": "/devpi"},
            PYPI_PORT,
            user,
        )
        _wait_until_answering(
            {f"http://127.0.0.1:{NPM_PORT}/-/ping": "npm", f"http://127.0.0.1:{PYPI_PORT}/+api": "PyPI"}, say
        )
        npm_url = f"http://{_address(npm)}:{NPM_PORT}/"
        pypi_url = f"http://{_address(pypi)}:{PYPI_PORT}/root/pypi/+simple/"
        images = _point_stand_ins(client, npm_url, pypi_url, say) if room else {}
    except BaseException:
        stop(client, say=quiet)  # also a container created whose start failed
        raise
    return Served(npm_url, pypi_url, (npm.id, pypi.id), images)


def _run_server(client, recipe: str, command: list[str], mounts: dict[Path, str], port: int, user: str):
    try:
        return _run_container(client, recipe, command, mounts, port, user)
    except docker.errors.APIError as exc:
        if "allocated" in str(exc) or "in use" in str(exc):
            raise MultistageError(
                f"Port {port} on 127.0.0.1 is taken by another program, so the kit's {recipe} cannot "
                "listen there; stop that program and serve the kit again."
            ) from None
        raise


def _run_container(client, recipe: str, command: list[str], mounts: dict[Path, str], port: int, user: str):
    """The server's container, labelled so that :func:`stop` (and ``clean``) find it."""
    return client.containers.run(
        RECIPES_BY_NAME[recipe].tag,
        command=command,
        detach=True,
        user=user,
        environment={"HOME": "/tmp"},
        volumes={str(host): {"bind": inside, "mode": "rw"} for host, inside in mounts.items()},
        ports={f"{port}/tcp": ("127.0.0.1", port)},
        labels=lbl.project_labels(**{lbl.CONTAINER: "kit-server"}),
        name=f"multistage-kit-{recipe}",
    )


def _wait_until_answering(urls: dict[str, str], say: Say, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    waiting = dict(urls)
    with experiment("kit: starting the package servers"):
        while waiting:
            for url in list(waiting):
                try:
                    with urllib.request.urlopen(url, timeout=2):
                        del waiting[url]
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
            if waiting and time.monotonic() > deadline:
                raise MultistageError(
                    f"The kit's {' and '.join(waiting.values())} server did not answer within {timeout:.0f} s; "
                    "see `docker logs multistage-kit-verdaccio` or `docker logs multistage-kit-devpi`."
                )
            if waiting:
                time.sleep(1)
    say(f"  package servers answer on 127.0.0.1:{NPM_PORT} (npm) and 127.0.0.1:{PYPI_PORT} (PyPI)")


def _address(container) -> str:
    container.reload()
    return container.attrs["NetworkSettings"]["IPAddress"]


def _pip_environment(index: str) -> dict[str, str]:
    host = index.split("/")[2].split(":")[0]
    return {"PIP_INDEX_URL": index, "PIP_TRUSTED_HOST": host, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def _point_stand_ins(client: docker.DockerClient, npm: str, pypi: str, say: Say) -> dict[str, str]:
    """Each stand-in plus npm's and pip's standard settings for the kit's servers: ``<tag>-kit``."""
    settings = {"npm_config_registry": npm, **_pip_environment(pypi)}
    env = " ".join(f"{name}={value}" for name, value in settings.items())
    images = {}
    with tempfile.TemporaryDirectory(prefix="multistage-kit-") as tmp:
        for recipe in RECIPES:
            Path(tmp, "Dockerfile").write_text(f"FROM {recipe.tag}\nENV {env}\n")
            with experiment(f"kit: {recipe.tag} pointed at the kit"):
                build(
                    tmp,
                    tag=f"{recipe.tag}-kit",
                    profile=LOCAL,
                    labels={lbl.ROLE: lbl.BASE_ROLE},
                    client=client,
                    progress=False,
                )
            images[recipe.tag] = f"{recipe.tag}-kit"
    say(f"  {len(images)} stand-ins now install npm and PyPI packages from the kit")
    return images


def _wheelhouse(wheels: Path, platforms: tuple[str, ...], pythons: tuple[str, ...], say: Say) -> list[str]:
    """Download requirements.txt's wheels (and the build tools) for this machine and each platform asked."""
    this = f"{sys.platform}-{os.uname().machine if hasattr(os, 'uname') else '?'} python {sys.version_info.major}.{sys.version_info.minor}"
    targets: list[tuple[str, list[str]]] = [(this, [])]
    for platform in platforms:
        for python in pythons or (f"{sys.version_info.major}.{sys.version_info.minor}",):
            tags = [arg for tag in PLATFORMS[platform] for arg in ("--platform", tag)]
            targets.append(
                (f"{platform} python {python}", [*tags, "--python-version", python, "--only-binary=:all:"])
            )
    for name, extra in targets:
        with experiment(f"kit: wheels for {name}"):
            say(f"  wheels for {name}")
            command = [sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(wheels), *extra]
            command += ["-r", str(REPO / "requirements.txt"), *BUILD_TOOLS]
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode != 0:
                tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
                raise MultistageError(f"Downloading the wheels for {name} failed: {' '.join(tail)}")
    return [name for name, _ in targets]


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
