"""Reach a Docker engine: connect like the docker CLI, or install and start one on Debian as root."""

from __future__ import annotations

import fcntl
import os
import re
import resource
import shutil
import subprocess
import time
import urllib.parse
import weakref
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.context import ContextAPI

from . import settings
from .errors import EngineUnavailable, MultistageError, UsageError
from .progress import Say, quiet

__all__ = [
    "API_TIMEOUT",
    "DOCKERD_LOG",
    "PODMAN_LOG",
    "PODMAN_SOCKET",
    "SLOW_STORAGE_DRIVERS",
    "EngineFacts",
    "apt_install",
    "can_start_engine_here",
    "client_or_connect",
    "connect",
    "containerd_store",
    "sizes_need_listings",
    "engine_facts",
    "engine_kind",
    "engine_major",
    "engine_host",
    "ensure_engine",
    "ports_published_here",
    "uses_containerd_store",
    "wants_podman",
]

#: Where a dockerd started by this project writes its log.
DOCKERD_LOG = Path("/var/log/multistage-dockerd.log")

#: Where a Podman API service started by this project writes its log.
PODMAN_LOG = Path("/var/log/multistage-podman.log")

#: Podman's standard rootful API socket (the one its systemd ``podman.socket`` unit also opens).
PODMAN_SOCKET = "unix:///run/podman/podman.sock"

#: Where the containers.conf for a Podman service started by this project is written.
_PODMAN_CONF = Path("/etc/multistage/podman-containers.conf")

#: How long an install waits for another apt-get to release dpkg's lock.
APT_LOCK_SECONDS = 600

#: Held while this project runs apt-get, so that two of its installs (two test workers) take turns:
#: `apt-get update` does not wait for apt's lists lock, it fails at once.
APT_TURN = Path("/run/lock/multistage-apt.lock")

#: Builds can stay silent for minutes (a long RUN step); never time out a read mid-build.
API_TIMEOUT = 3600

_FIX = "start Docker Desktop, or run `sudo systemctl start docker`, or point DOCKER_HOST at a running engine"


@dataclass(frozen=True)
class EngineFacts:
    """What the engine says about itself, for ``doctor`` and for reports."""

    host: str
    kind: str  # "Docker Engine", "Docker Desktop" or "Podman"
    server_version: str
    api_version: str
    storage_driver: str
    root_dir: str
    free_bytes: int | None  # None when the engine's disk is not on this machine
    containerd_store: bool = False  # images kept in containerd's store (Docker Desktop 4.34+, Engine 29)

    @property
    def store(self) -> str:
        """The image store in a few words: ``containerd image store`` or ``overlay2 graph driver``."""
        return "containerd image store" if self.containerd_store else f"{self.storage_driver} graph driver"


def wants_podman() -> bool:
    """True when the user asked for Podman with ``MULTISTAGE_ENGINE=podman`` (a DOCKER_HOST still wins).

    Raises:
        MultistageError: ``MULTISTAGE_ENGINE`` names an engine this project does not know.
    """
    choice = settings.ENGINE.value().lower()
    if choice not in ("", "docker", "podman"):
        raise UsageError(
            f"MULTISTAGE_ENGINE={choice!r} is not an engine this tutorial knows; set it to docker or podman, or unset it."
        )
    return choice == "podman"


def engine_host() -> str | None:
    """Return the address to use: DOCKER_HOST, else Podman's socket when asked for, else the docker context's.

    Returns:
        The address, or ``None`` for the platform default socket.

    Raises:
        MultistageError: ``MULTISTAGE_ENGINE`` names an engine this project does not know.
    """
    if os.environ.get("DOCKER_HOST"):
        return os.environ["DOCKER_HOST"]
    if wants_podman():
        return PODMAN_SOCKET
    try:
        context = ContextAPI.get_current_context()
    except Exception:  # a broken ~/.docker/config.json must not hide the default socket
        return None
    return context.Host if context is not None and context.Host else None


def ports_published_here() -> bool:
    """True when the engine's published ports are on this machine's 127.0.0.1.

    So it is for an engine on a local socket (Docker Engine, and Docker Desktop and Podman
    machines, which forward published ports to the host) or on a loopback TCP address; an
    engine reached at another address (``tcp://build-host:2376``, ``ssh://…``) publishes
    ports on its own machine, out of this one's reach.
    """
    host = engine_host()
    if host is None or host.startswith(("unix://", "npipe://")):
        return True
    name = urllib.parse.urlsplit(host).hostname or ""
    return name in ("localhost", "127.0.0.1", "::1")


def connect(timeout: float = API_TIMEOUT) -> docker.DockerClient:
    """Connect to the engine the docker CLI would use and check that it answers.

    Args:
        timeout: Seconds a single API read may take.

    Returns:
        A connected client.

    Raises:
        EngineUnavailable: No engine answers at that address.
    """
    host = engine_host()
    try:
        if host:
            client = docker.DockerClient(base_url=host, timeout=timeout, version="auto")
        else:
            client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as exc:
        where = host or "the default socket"
        raise EngineUnavailable(f"No Docker engine answers at {where} ({_short(exc)}); {_FIX}.") from exc
    return client


def client_or_connect(client: docker.DockerClient | None) -> docker.DockerClient:
    """The one place a missing client is resolved: ``client`` itself, else :func:`connect`."""
    return client if client is not None else connect()


def can_start_engine_here() -> bool:
    """Return True where this project may install and start dockerd itself (Debian/Ubuntu, root)."""
    return (
        not os.environ.get("DOCKER_HOST")
        and Path("/etc/debian_version").exists()
        and shutil.which("apt-get") is not None
        and hasattr(os, "geteuid")
        and os.geteuid() == 0
    )


def ensure_engine(say: Say = print, wait_seconds: float = 90) -> docker.DockerClient:
    """Return a client for a reachable engine, installing and starting one if needed and allowed.

    An engine that already answers (DOCKER_HOST, a docker context, Docker Desktop, a system
    service, Podman's socket) is always used as is. Only when none answers, on Debian/Ubuntu as
    root, is one installed and started in the background: Debian's ``docker.io`` (``dockerd``,
    logging to :data:`DOCKERD_LOG`), or with ``MULTISTAGE_ENGINE=podman`` Debian's ``podman``
    serving its Docker-compatible API on :data:`PODMAN_SOCKET` (logging to :data:`PODMAN_LOG`).

    Args:
        say: Where progress sentences go.
        wait_seconds: How long to wait for a freshly started engine to answer.

    Returns:
        A connected client.

    Raises:
        EngineUnavailable: No engine answers and this machine does not allow starting one.
    """
    try:
        return connect()
    except EngineUnavailable as first:
        if not can_start_engine_here():
            raise first
    podman = wants_podman()
    if podman:
        name, package, log = "Podman", ["podman", "runc"], PODMAN_LOG
        command = ["podman", "system", "service", "--time=0", PODMAN_SOCKET]
    else:
        name, package, log = "dockerd", ["docker.io", *_buildx_package()], DOCKERD_LOG
        command = ["dockerd"]
    if shutil.which(command[0]) is None:
        say(f"No {name} found; installing Debian's {package[0]} package (about a minute)...")
        try:
            apt_install(package, say=quiet)
        except MultistageError as exc:
            raise EngineUnavailable(f"{exc} Otherwise, {_FIX}.") from exc
    environment = dict(os.environ)
    if podman:
        environment["CONTAINERS_CONF"] = str(_write_podman_conf())
        Path(PODMAN_SOCKET.removeprefix("unix://")).parent.mkdir(parents=True, exist_ok=True)
    say(f"Starting {name} in the background (log: {log})...")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=environment,
            start_new_session=True,
        )
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            client = connect()
        except EngineUnavailable:
            if time.monotonic() > deadline:
                raise EngineUnavailable(
                    f"{name} was started but did not answer within {wait_seconds:.0f} s; read {log} for the reason."
                ) from None
            time.sleep(0.5)
            continue
        facts = engine_facts(client)
        say(f"{facts.kind} {facts.server_version} is running at {facts.host}.")
        return client


def _buildx_package() -> list[str]:
    """``docker-buildx`` where the distribution packages it (Debian 13 and later, Ubuntu), so the CLI
    builds with BuildKit as the engine does; Debian 12 has no such package."""
    release = Path("/etc/os-release")
    lines = release.read_text().splitlines() if release.exists() else []
    fields = dict(line.split("=", 1) for line in lines if "=" in line)
    distro, version = fields.get("ID", "").strip('"'), fields.get("VERSION_ID", "0").strip('"')
    newer_debian = distro == "debian" and version.split(".")[0].isdigit() and int(version.split(".")[0]) >= 13
    return ["docker-buildx"] if newer_debian or distro == "ubuntu" else []


def _write_podman_conf() -> Path:
    """Write the containers.conf of a Podman service this project starts, and return its path.

    Podman gives containers rlimits of its own (1048576 open files) unless told otherwise;
    where the process may not raise them (no CAP_SYS_RESOURCE, as in many sandboxes and CI
    machines) every ``podman run`` then fails with "error setting rlimit". Containers are
    given this machine's hard limits instead (the process count capped at ``pid_max``, to
    which Podman lowers its own). runc is named because crun 1.8 refuses hybrid cgroup hierarchies.
    """
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    nproc = pid_max if nproc == resource.RLIM_INFINITY else min(nproc, pid_max)
    if nofile == resource.RLIM_INFINITY:
        nofile = 1048576
    _PODMAN_CONF.parent.mkdir(parents=True, exist_ok=True)
    _PODMAN_CONF.write_text(
        "# Written by `python -m multistage setup` for the Podman service it starts.\n"
        "[containers]\n"
        f'default_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]\n'
        "[engine]\n"
        'runtime = "runc"\n'
    )
    return _PODMAN_CONF


def apt_install(packages: list[str], say: Say = print) -> None:
    """Install Debian packages on this machine (root on Debian/Ubuntu only).

    Raises:
        MultistageError: apt is not usable here or the installation failed.
    """
    if not can_start_engine_here():
        raise MultistageError(
            f"Installing {', '.join(packages)} needs root on Debian or Ubuntu; install them yourself."
        )
    say(f"Installing {', '.join(packages)} with apt-get...")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # Another apt-get (unattended upgrades) may hold dpkg's lock: wait for it.
    wait = ["-o", f"DPkg::Lock::Timeout={APT_LOCK_SECONDS}"]
    with open(APT_TURN, "w") as turn:
        fcntl.flock(turn, fcntl.LOCK_EX)  # released when the file closes
        for command in (
            ["apt-get", *wait, "update", "-q"],
            ["apt-get", *wait, "install", "-y", "-q", "--no-install-recommends", *packages],
        ):
            result = subprocess.run(command, env=env, capture_output=True, text=True)
            if result.returncode != 0:
                tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
                raise MultistageError(
                    f"`{' '.join(command)}` failed ({' / '.join(tail)}); "
                    "check the network to the Debian mirror and that apt is not locked."
                )


def engine_facts(client: docker.DockerClient) -> EngineFacts:
    """Read version, storage driver and free disk of the engine behind ``client``."""
    info = client.info()
    version = client.version()
    root_dir = info.get("DockerRootDir", "")
    host = engine_host() or "unix:///var/run/docker.sock"
    free = None
    # Only an engine on a local socket shares this machine's disks.
    if root_dir and host.startswith("unix://") and Path(root_dir).exists():
        free = shutil.disk_usage(root_dir).free
    return EngineFacts(
        host=host,
        kind=engine_kind(version, info),
        server_version=version.get("Version", "?"),
        api_version=version.get("ApiVersion", "?"),
        storage_driver=info.get("Driver", "?"),
        root_dir=root_dir,
        free_bytes=free,
        containerd_store=uses_containerd_store(info),
    )


def uses_containerd_store(info: dict) -> bool:
    """Whether ``GET /info`` describes an engine keeping its images in containerd's store."""
    return ["driver-type", "io.containerd.snapshotter.v1"] in (info.get("DriverStatus") or [])


#: Per client: whether its image sizes are read from the layer listings (decided once).
_SIZES_FROM_LISTINGS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: Per client: whether its engine keeps images in containerd's store (asked once).
_STORES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def containerd_store(client: docker.DockerClient) -> bool:
    """Whether the engine behind ``client`` keeps its images in containerd's store (asked once per client)."""
    if client not in _STORES:
        _STORES[client] = uses_containerd_store(client.info())
    return _STORES[client]


def sizes_need_listings(client: docker.DockerClient) -> bool:
    """Whether this engine's own image size is not the bytes of the layers' regular files (decided once per client).

    Measured: Engine 20.10 on overlay2 reports exactly those bytes. Docker 26 counts more on
    overlay2 and disk blocks on the containerd store, so there the size is read from the layer
    listings. Podman keeps its own figure (not compared yet).
    """
    if client not in _SIZES_FROM_LISTINGS:
        docker_23_on = engine_kind(client.version(), {}) == "Docker Engine" and engine_major(client) >= 23
        _SIZES_FROM_LISTINGS[client] = docker_23_on or containerd_store(client)
    return _SIZES_FROM_LISTINGS[client]


def engine_major(client: docker.DockerClient) -> int:
    """The engine's major version (20 for 20.10.24, 26 for 26.1.5; 0 when it says none)."""
    found = re.match(r"\d+", client.version().get("Version", "0"))
    return int(found[0]) if found else 0


def engine_kind(version: dict, info: dict) -> str:
    """Which engine answers: Podman names its components "Podman Engine", Docker Desktop its OS."""
    if any(str(c.get("Name", "")).startswith("Podman") for c in version.get("Components") or []):
        return "Podman"
    if "Docker Desktop" in str(info.get("OperatingSystem", "")):
        return "Docker Desktop"
    return "Docker Engine"


#: Storage drivers that copy whole layers or are deprecated: builds are slow and images large.
SLOW_STORAGE_DRIVERS = ("vfs", "devicemapper", "aufs")


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = text.replace("Error while fetching server API version: ", "")
    return text if len(text) <= 120 else text[:117] + "..."
