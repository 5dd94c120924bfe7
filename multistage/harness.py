"""A current Docker Engine for tests and benchmarks: Debian 13's Engine 26, run as a container on the host engine.

Learners run Docker 26 and later, most of them with the containerd image store (Docker Desktop
since 4.34, new installs of Engine 29). This starts that engine here from nothing the project
cannot build itself: a Debian 13 root made with debootstrap, Debian's ``docker.io``,
``docker-cli`` and ``docker-buildx`` on it (recipe ``docker-engine``). It runs in its own
container, so its bridge and firewall rules live in that container's network namespace and
never touch the host engine's. The host reaches it at ``tcp://<container address>:2375``;
what it publishes on its own 127.0.0.1 is out of the host's reach, as a remote engine's is, so
health checks go through a helper container on its side.

Optionally the container also runs Debian's registry twice: on 127.0.0.1:5000 as the engine's
``registry-mirrors`` entry (Docker Hub's names pull through it) and as ``gcr.io`` (TLS, a
certificate the engine trusts). :func:`serve_document_images` fills them with the local
stand-ins under the document's names, so the official and mixed profiles are tested the way a
learner with internet uses them, without touching the host engine's configuration.
"""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import docker

from . import labels as lbl
from .buildx import buildx_version
from .bundle import export_bundle, import_bundle
from .engine import API_TIMEOUT
from .errors import EngineUnavailable, MultistageError, UsageError
from .profiles import ENGINE_RECIPES, LOCAL, RECIPES_BY_NAME, recipes_for, registry_of
from .progress import Say, quiet
from .provision import provision

__all__ = [
    "BUILDX_PLUGIN",
    "STORES",
    "HarnessEngine",
    "install_buildx_plugin",
    "serve_document_images",
    "start_engine",
    "stop_engine",
]

#: The image stores the harness engine can use: containerd's (Docker Desktop's and Engine 29's
#: default) and the overlay2 graph driver (Engine 26 and earlier by default).
STORES = ("containerd", "overlay2")

_PORT = 2375
#: What the engine needs from the host: everything but CAP_SYS_RESOURCE (withheld on machines like
#: this project's, where ``--privileged`` then fails with "unable to apply caps"), as
#: ``docker run --cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined
#: --security-opt apparmor=unconfined --security-opt systempaths=unconfined`` asks for it.
_SECURITY = {
    "cap_add": ["ALL"],
    "cap_drop": ["SYS_RESOURCE"],
    "security_opt": ["seccomp=unconfined", "apparmor=unconfined"],
}


@dataclass(frozen=True)
class HarnessEngine:
    """A running harness engine.

    Attributes:
        store: ``containerd`` or ``overlay2``.
        address: Its ``DOCKER_HOST`` (``tcp://…:2375``).
        container: Name of the container it runs in on the host engine.
    """

    store: str
    address: str
    container: str

    def connect(self, timeout: float = API_TIMEOUT) -> docker.DockerClient:
        """A client for this engine."""
        return docker.DockerClient(base_url=self.address, timeout=timeout, version="auto")


#: Where :func:`install_buildx_plugin` puts the plugin: the docker CLI's system-wide plugin folder.
BUILDX_PLUGIN = Path("/usr/local/lib/docker/cli-plugins/docker-buildx")


def install_buildx_plugin(client: docker.DockerClient, say: Say = print) -> None:
    """Give this machine's docker CLI the buildx plugin, when it has none, from the engine image.

    The harness engine's builds on the containerd image store go through ``docker buildx``. These
    machines' docker CLI comes without the plugin, and Debian 12 has no ``docker-buildx``
    package; Debian 13's plugin, which the ``docker-engine`` recipe installs, links only libc and
    runs on Debian 12, so it is copied from that image.

    Raises:
        MultistageError: The CLI has no plugin and this process may not install one (not root).
    """
    if buildx_version(client) is not None:
        return
    if os.geteuid() != 0:
        raise MultistageError(
            "The docker CLI here has no buildx plugin; install it (Debian 13 and Ubuntu: `apt install "
            "docker-buildx`) or run as root, which copies it from the harness engine's image."
        )
    container = client.containers.create(RECIPES_BY_NAME["docker-engine"].tag, entrypoint=["true"])
    try:
        chunks, _ = container.get_archive("/usr/libexec/docker/cli-plugins/docker-buildx")
        with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
            plugin = tar.extractfile(tar.getmembers()[0])
            if plugin is None:
                raise MultistageError("The harness engine image holds no buildx plugin; rebuild it.")
            data = plugin.read()
    finally:
        container.remove(force=True)
    BUILDX_PLUGIN.parent.mkdir(parents=True, exist_ok=True)
    BUILDX_PLUGIN.write_bytes(data)
    BUILDX_PLUGIN.chmod(0o755)
    say(f"Installed the docker CLI's buildx plugin (Debian 13's) at {BUILDX_PLUGIN}.")


def _name(store: str) -> str:
    return f"multistage-engine-{store}"


def start_engine(
    client: docker.DockerClient,
    store: str = "containerd",
    *,
    mirror: bool = False,
    gcr: bool = False,
    say: Say = print,
    wait_seconds: float = 120,
) -> HarnessEngine:
    """Start a Docker 26 engine in a container on ``client``'s engine, replacing one left running.

    Args:
        client: The host engine.
        store: ``containerd`` (the containerd image store) or ``overlay2``.
        mirror: Also run a registry on the engine's 127.0.0.1:5000 and set it as Docker Hub's mirror.
        gcr: Also run a registry answering as ``gcr.io``.
        say: Where progress sentences go.
        wait_seconds: How long to wait for dockerd to answer.

    Returns:
        The running :class:`HarnessEngine`.

    Raises:
        MultistageError: ``store`` is not one of :data:`STORES`.
        EngineUnavailable: The engine did not answer in time (the message has its log's last lines).
    """
    if store not in STORES:
        raise UsageError(f"There is no image store {store!r}; use one of: {', '.join(STORES)}.")
    provision(client, say=say, recipes=ENGINE_RECIPES)
    install_buildx_plugin(client, say=say)
    stop_engine(client, store)
    name = _name(store)
    say(f"Starting Docker Engine 26 ({store} image store) in the container {name}...")
    host_config = client.api.create_host_config(
        extra_hosts={"gcr.io": "127.0.0.1"},
        binds={"/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"}},
        **_SECURITY,
    )
    # systempaths=unconfined: the SDK has no option for it; the CLI sends these two empty lists.
    host_config.update(MaskedPaths=[], ReadonlyPaths=[])
    created = client.api.create_container(
        RECIPES_BY_NAME["docker-engine"].tag,
        name=name,
        environment={"STORE": store, "MIRROR": str(int(mirror)), "GCR": str(int(gcr))},
        labels=lbl.project_labels(**{lbl.CONTAINER: "harness-engine"}),
        host_config=host_config,
    )
    container = client.containers.get(created["Id"])
    container.start()
    container.reload()
    engine = HarnessEngine(store, f"tcp://{container.attrs['NetworkSettings']['IPAddress']}:{_PORT}", name)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            engine.connect(timeout=10).ping()
            break
        except Exception:
            container.reload()
            if container.status != "running" or time.monotonic() > deadline:
                tail = container.logs(tail=5).decode(errors="replace").strip()
                stop_engine(client, store)
                raise EngineUnavailable(
                    f"Docker Engine 26 ({store}) did not start in its container; its log ends: {tail}"
                ) from None
            time.sleep(1)
    info = engine.connect(timeout=30).info()
    say(f"Docker Engine {info.get('ServerVersion')} answers at {engine.address} ({info.get('Driver')}).")
    return engine


def stop_engine(client: docker.DockerClient, store: str) -> None:
    """Remove the harness engine of ``store`` and its volumes (its images), if it runs."""
    try:
        client.containers.get(_name(store)).remove(force=True, v=True)
    except docker.errors.NotFound:
        pass


def serve_document_images(
    client: docker.DockerClient, engine: HarnessEngine, registries: tuple[str, ...], say: Say = print
) -> list[str]:
    """Fill the engine's registries with the local stand-ins under the official names they stand in for.

    The stand-ins travel from the host engine as a bundle, are pushed under every official name
    of a registry in ``registries`` (``docker.io`` through the mirror, ``gcr.io`` as itself),
    then removed from the engine again, with the names: the engine must pull them back.

    Returns:
        The official names served.
    """
    served = [ref for ref in LOCAL.images if registry_of(ref) in registries]
    inner = engine.connect()
    with tempfile.TemporaryDirectory(prefix="multistage-serve-", dir="/var/tmp") as tmp:
        bundle = Path(tmp) / "bases.tar"
        export_bundle(client, bundle, say=quiet, recipes=recipes_for(served))
        import_bundle(inner, bundle, say=quiet)
    say(f"Serving {len(served)} official names from the engine's registries ({', '.join(registries)}).")
    for ref in served:
        pushed = _mirror_name(ref)
        inner.images.get(LOCAL.images[ref]).tag(pushed)
        repository, tag = docker.utils.parse_repository_tag(pushed)
        for line in inner.images.push(repository, tag=tag or "latest", stream=True, decode=True):
            if "error" in line:
                raise MultistageError(f"Pushing {pushed} to the harness registry failed: {line['error']}")
        inner.images.remove(pushed)
    for image in inner.images.list():
        for tag in image.tags:
            if tag.startswith(lbl.LOCAL_NAMESPACE + "/"):
                inner.images.remove(tag, force=True)
    return served


def _mirror_name(ref: str) -> str:
    """Where ``ref`` is pushed so that the engine pulls it back under its own name."""
    if registry_of(ref) != "docker.io":
        return ref
    repository = ref if "/" in ref.split(":")[0] else f"library/{ref}"
    return f"127.0.0.1:5000/{repository}"
