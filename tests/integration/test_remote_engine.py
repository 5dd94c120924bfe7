"""An engine on another machine: a second dockerd the test starts in a network namespace of its own.

The namespace is the "build host": its dockerd answers only on the namespace's address
(``tcp://10.231.0.2:2375``, over a veth pair), and what it publishes on its 127.0.0.1 is out of
this machine's reach, as a remote engine's is. The base images travel as a bundle, the way an
instructor hands them to a build host. Everything is removed afterwards, also on failure.
"""

import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request

import docker
import pytest

from multistage.apps import APPS
from multistage.bundle import export_bundle, import_bundle
from multistage.containers import first_start, smoke_test
from multistage.engine import connect, engine_facts, ports_published_here
from multistage.errors import MultistageError
from multistage.kit import serve
from multistage.profiles import RECIPES
from multistage.progress import quiet
from multistage.runner import NOTEBOOKS, execute_notebook

from .notebook_sets import EXTRA_ENGINE_NOTEBOOKS

pytestmark = [pytest.mark.slow, pytest.mark.extra_engine]  # make test-engines

NETNS = "multistage-remote"
HOST_SIDE, ENGINE_SIDE = "10.231.0.1", "10.231.0.2"
ADDRESS = f"tcp://{ENGINE_SIDE}:2375"


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)


@pytest.fixture(scope="module")
def remote_engine(tmp_path_factory):
    """Start dockerd in a new network namespace; yield its address; stop it and remove everything."""
    missing = [tool for tool in ("ip", "nsenter", "dockerd") if shutil.which(tool) is None]
    if missing or os.geteuid() != 0:
        reason = f"needs root and {', '.join(missing) or 'ip, nsenter, dockerd'} to start a second engine"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so the remote-engine test must run, but it {reason}")
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("remote-engine")
    subprocess.run(["ip", "netns", "delete", NETNS], capture_output=True)  # an earlier run's leftover
    _run("ip", "netns", "add", NETNS)
    _run("ip", "link", "add", "ms-remote0", "type", "veth", "peer", "name", "ms-remote1")
    _run("ip", "link", "set", "ms-remote1", "netns", NETNS)
    _run("ip", "addr", "add", f"{HOST_SIDE}/24", "dev", "ms-remote0")
    _run("ip", "link", "set", "ms-remote0", "up")
    inside = ["ip", "netns", "exec", NETNS]
    _run(*inside, "ip", "addr", "add", f"{ENGINE_SIDE}/24", "dev", "ms-remote1")
    _run(*inside, "ip", "link", "set", "ms-remote1", "up")
    _run(*inside, "ip", "link", "set", "lo", "up")
    # nsenter, not `ip netns exec`: the latter remounts /sys, hiding the cgroup hierarchy dockerd needs.
    log = open(root / "dockerd.log", "wb")
    dockerd = subprocess.Popen(
        ["nsenter", f"--net=/run/netns/{NETNS}", "dockerd", "--data-root", str(root / "data")]
        + ["--exec-root", str(root / "exec"), "--pidfile", str(root / "dockerd.pid"), "-H", ADDRESS],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                docker.DockerClient(base_url=ADDRESS, timeout=10).ping()
                break
            except Exception:
                assert time.monotonic() < deadline, (
                    f"the second dockerd did not answer; see {root / 'dockerd.log'}"
                )
                time.sleep(1)
        yield ADDRESS
    finally:
        os.killpg(dockerd.pid, signal.SIGTERM)
        dockerd.wait(timeout=60)
        log.close()
        subprocess.run(["ip", "link", "delete", "ms-remote0"], capture_output=True)
        subprocess.run(["ip", "netns", "delete", NETNS], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_a_remote_engine_builds_health_checks_and_runs_a_notebook(
    client, remote_engine, tmp_path, monkeypatch
):
    bundle = tmp_path / "bases.tar"
    export_bundle(client, bundle, say=quiet, recipes=RECIPES)
    monkeypatch.setenv("DOCKER_HOST", remote_engine)
    remote = connect()
    assert not ports_published_here(), f"an engine at {remote_engine} publishes ports on its own machine"
    assert engine_facts(remote).free_bytes is None, "a remote engine's disk is not measured from here"
    import_bundle(remote, bundle, say=quiet)

    report = APPS["go"].build("multi", client=remote, progress=False)
    published = remote.containers.run(report.image_id, detach=True, ports={"8080/tcp": ("127.0.0.1", None)})
    try:
        published.reload()
        port = published.attrs["NetworkSettings"]["Ports"]["8080/tcp"][0]["HostPort"]
        time.sleep(1)
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=3)
    finally:
        published.remove(force=True)
    health = smoke_test(remote, report.image_id, APPS["go"].port)
    assert health.ok and '"status":"ok"' in health.body, (
        f"the health check from a helper container on the engine's side answers: {health}"
    )
    started = first_start(remote, report.image_id)
    assert (started.outcome, started.detail) == ("running", "listening on 8080/tcp"), (
        f"analyze's start check asks a helper on the engine's side whether the app listens: {started}"
    )
    assert not remote.containers.list(all=True), "the checks and their helpers leave no container behind"

    with pytest.raises(
        MultistageError, match="cannot use; pack and serve the kit with an engine on this laptop"
    ):
        serve(remote, tmp_path)

    for notebook in EXTRA_ENGINE_NOTEBOOKS["remote"]:
        run = execute_notebook(NOTEBOOKS / notebook, tmp_path / "out", say=quiet)
        assert not run.error, f"{notebook} failed on the remote engine: {run.error}"
