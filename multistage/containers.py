"""Run containers of the project's images: always labelled, always removed afterwards."""

from __future__ import annotations

import io
import re
import shlex
import socket
import tarfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

import docker

from . import commands
from . import labels as lbl
from .engine import ports_published_here
from .errors import ContainerFailed
from .profiles import active_profile
from .progress import quiet
from .results import LOG_TAIL

__all__ = [
    "SmokeResult",
    "StartResult",
    "first_start",
    "copy_from_image",
    "run_command",
    "smoke_test",
]


def run_command(
    client: docker.DockerClient,
    image: str,
    command: list[str],
    timeout: float = 60,
    check: bool = True,
    user: str | None = None,
    environment: dict[str, str] | None = None,
    mounts: dict[str | Path, str] | None = None,
    network_mode: str | None = None,
    show: bool = False,
) -> str:
    """Run ``command`` in a fresh container of ``image`` and return what it printed.

    The container has no published ports, carries the project's container label and is
    removed afterwards, also when the command fails or times out.

    Args:
        client: Docker client.
        image: Image reference or id.
        command: The command (appended to the image's ENTRYPOINT, if it has one).
        timeout: Seconds the command may take.
        check: Raise when the command exits non-zero; with ``False`` its output is returned anyway.
        user: Run as this user (``uid`` or ``uid:gid``) instead of the image's USER.
        environment: Extra environment variables.
        mounts: Host directory -> path in the container, mounted read-only.
        network_mode: The container's network (``container:<id>`` shares another one's).
        show: First print the ``$ docker run --rm …`` line that does the same at a terminal.

    Raises:
        ContainerFailed: The command exited non-zero (with ``check``) or did not finish within ``timeout``.
    """
    if show:
        print("$", commands.run(commands.cli(client), commands.name_of(client, image), command, user))
    container = client.containers.create(
        image,
        command=command,
        user=user or "",
        environment=environment or {},
        volumes={str(host): {"bind": inside, "mode": "ro"} for host, inside in (mounts or {}).items()},
        network_mode=network_mode,
        labels=lbl.project_labels(**{lbl.CONTAINER: "run"}),
    )
    try:
        container.start()
        try:
            status = container.wait(timeout=timeout)
        except Exception as exc:  # requests raises its own timeout types
            raise ContainerFailed(
                f"`{' '.join(command)}` in {image} did not finish within {timeout:.0f} s."
            ) from exc
        output = container.logs(stdout=True, stderr=True).decode(errors="replace").strip()
        if check and status.get("StatusCode", 1) != 0:
            raise ContainerFailed(
                f"`{' '.join(command)}` in {image} exited with {status.get('StatusCode')}: {output[-300:]}"
            )
        return output
    finally:
        container.remove(force=True)


@dataclass(frozen=True)
class SmokeResult:
    """A smoke test's outcome: what ``GET path`` answered and how long it took, or why it failed."""

    image: str
    status: int | None
    body: str
    seconds: float
    error: str = ""
    command: str = ""  # the same check at a terminal: run the app, then curl it
    container: str = ""  # the id of the container that ran it (removed afterwards)

    @property
    def ok(self) -> bool:
        """True when the app answered 200."""
        return self.status == 200


def smoke_test(
    client: docker.DockerClient,
    image: str,
    port: int,
    path: str = "/health",
    timeout: float = 30,
    check: bool = True,
) -> SmokeResult:
    """Run ``image`` and ``GET path`` on ``port``: through 127.0.0.1 here, or from the engine's side.

    On an engine whose published ports are on this machine, ``port`` is published on 127.0.0.1
    (an ephemeral host port) and fetched from here; on an engine on another machine, a helper
    container sharing the app's network fetches it (:func:`~multistage.engine.ports_published_here`).

    The container is stopped and removed afterwards, also when the check fails.

    Args:
        client: Docker client.
        image: Image reference or id.
        port: The port the app listens on inside the container.
        path: The path that must answer 200.
        timeout: Seconds to wait for the answer.
        check: Raise on failure; with ``False`` a failure is returned (``ok`` is False,
            ``error`` says why), for demonstrations of what goes wrong.

    Returns:
        The :class:`SmokeResult`.

    Raises:
        ContainerFailed: The container exited or did not answer 200 in time; carries its last log lines.
    """
    command = commands.serve(commands.cli(client), commands.name_of(client, image), port, path)
    try:
        return replace(_smoke_test(client, image, port, path, timeout), command=command)
    except ContainerFailed as exc:
        if check:
            raise
        return SmokeResult(image, None, "", timeout, str(exc), command)


@dataclass(frozen=True)
class StartResult:
    """What an image did when started once with its own ``CMD``/``ENTRYPOINT``."""

    outcome: str  # "exited 0", "running", "failed", or "not started" (the image names no command)
    detail: str  # the ports it listens on, or the first error line
    seconds: float
    command: str  # the same at a terminal


#: A log line that says what went wrong, by the words programs use for it.
_ERROR_LINE = re.compile(r"error|fatal|panic|exception|not found|no such file|denied|cannot|unable", re.I)


def first_start(client: docker.DockerClient, image: str, wait: float = 5.0) -> StartResult:
    """Start ``image`` once, as ``docker run`` would, and say what it did within ``wait`` seconds.

    ``exited 0``; ``running`` (with the exposed TCP ports that accept a connection: on 127.0.0.1
    where the engine publishes ports on this machine, else from a helper container in the app's
    network on the engine's side); or ``failed``, with the first line of its
    log (or of the engine's refusal) that reads like an error. The container is removed afterwards.
    """
    found = client.images.get(image)
    exposed = sorted(
        p for p in (found.attrs.get("Config") or {}).get("ExposedPorts") or {} if p.endswith("/tcp")
    )
    here = ports_published_here()
    tool, ref = commands.cli(client), commands.image_ref(found.id, found.tags)
    command = shlex.join([tool, "run", "--rm", *(f"-p=127.0.0.1::{p.split('/')[0]}" for p in exposed), ref])
    config = found.attrs.get("Config") or {}
    if not (config.get("Cmd") or config.get("Entrypoint")):
        return StartResult("not started", "the image names no command (no CMD or ENTRYPOINT)", 0.0, command)
    started = time.monotonic()
    try:
        container = client.containers.create(
            image,
            ports={p: ("127.0.0.1", None) for p in exposed} if here else None,
            labels=lbl.project_labels(**{lbl.CONTAINER: "first-start"}),
        )
    except docker.errors.APIError as exc:
        return StartResult("failed", _first_error(str(exc.explanation or exc)), 0.0, command)
    try:
        try:
            container.start()
        except docker.errors.APIError as exc:
            said = str(exc.explanation or exc)
            return StartResult("failed", _first_error(said), time.monotonic() - started, command)
        while time.monotonic() - started < wait:
            container.reload()
            if container.status in ("exited", "dead"):
                code = container.attrs["State"].get("ExitCode")
                seconds = time.monotonic() - started
                if code == 0:
                    return StartResult("exited 0", "", seconds, command)
                logs = container.logs(stdout=True, stderr=True).decode(errors="replace")
                return StartResult("failed", f"exit code {code}: {_first_error(logs)}", seconds, command)
            time.sleep(0.2)
        answers = {
            p: _accepts(container, p) if here else _accepts_from_helper(client, container, p) for p in exposed
        }
        listening = [p for p, answer in answers.items() if answer is True]
        unknown = [answer for answer in answers.values() if isinstance(answer, str)]
        if listening:
            detail = f"listening on {', '.join(listening)}"
        elif unknown:
            detail = f"whether it listens is not known: {unknown[0]}"
        else:
            detail = f"not accepting connections on {', '.join(exposed)}" if exposed else "no port exposed"
        return StartResult("running", detail, wait, command)
    finally:
        container.remove(force=True)


def _first_error(text: str) -> str:
    """The first line of ``text`` that reads like an error, else its first non-empty line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    chosen = next((line for line in lines if _ERROR_LINE.search(line)), lines[0] if lines else "no output")
    return chosen[:240]


def _accepts(container, port: str) -> bool:
    """Whether the program listens on ``port`` (``8080/tcp``), through its port published on 127.0.0.1.

    The engine's proxy accepts every connection to a published port and closes it at once when
    nothing listens behind it; a program that listens keeps it open (waiting for a request) or
    answers. So: connect, and read with a short timeout.
    """
    container.reload()
    bindings = (container.attrs["NetworkSettings"]["Ports"] or {}).get(port) or []
    if not bindings:
        return False
    try:
        with socket.create_connection(("127.0.0.1", int(bindings[0]["HostPort"])), timeout=1) as connection:
            return connection.recv(1) != b""
    except TimeoutError:
        return True
    except OSError:
        return False


def _smoke_test(client: docker.DockerClient, image: str, port: int, path: str, timeout: float) -> SmokeResult:
    here = ports_published_here()
    container = client.containers.create(
        image,
        ports={f"{port}/tcp": ("127.0.0.1", None)} if here else None,
        labels=lbl.project_labels(**{lbl.CONTAINER: "smoke-test"}),
    )
    started = time.monotonic()
    last_error = "no answer yet"
    try:
        try:
            container.start()
        except docker.errors.APIError as exc:
            raise ContainerFailed(
                f"{image} could not start: {exc.explanation or exc}", _log_tail(container)
            ) from exc
        while time.monotonic() - started < timeout:
            container.reload()
            if container.status in ("exited", "dead"):
                code = container.attrs["State"].get("ExitCode")
                raise ContainerFailed(
                    f"{image} exited with code {code} before answering GET {path}; its log says why.",
                    _log_tail(container),
                )
            if here:
                answer = _get_published(container, port, path)
            else:
                answer = _get_from_helper(client, container, port, path)
            if isinstance(answer, tuple):
                return SmokeResult(
                    image, answer[0], answer[1], time.monotonic() - started, container=container.id
                )
            last_error = answer
            time.sleep(0.2)
        raise ContainerFailed(
            f"{image} did not answer GET {path} on port {port} with 200 within {timeout:.0f} s ({last_error}); "
            "check that the app listens on 0.0.0.0 and that port.",
            _log_tail(container),
        )
    finally:
        container.remove(force=True)


def _get_published(container, port: int, path: str) -> tuple[int, str] | str:
    """``GET path`` on the port the engine published on this machine's 127.0.0.1: (status, body) or why not."""
    bindings = (container.attrs["NetworkSettings"]["Ports"] or {}).get(f"{port}/tcp") or []
    if not bindings:
        return "port not published yet"
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{bindings[0]['HostPort']}{path}", timeout=2
        ) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        return str(getattr(exc, "reason", exc))


#: Run in a helper container that shares the app's network: one GET, the status then the body.
_HELPER_GET = """
import sys, urllib.error, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        print(r.status); print(r.read().decode(), end="")
except urllib.error.HTTPError as e:
    print("HTTP", e.code)
except Exception as e:
    print(getattr(e, "reason", e))
"""


#: Run in a helper container that shares the app's network: does something listen on the port?
_HELPER_ACCEPTS = """
import socket, sys
try:
    with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1) as c:
        c.settimeout(1)
        print("yes" if c.recv(1) != b"" else "no")
except TimeoutError:
    print("yes")
except OSError:
    print("no")
"""


def _accepts_from_helper(client: docker.DockerClient, container, port: str) -> bool | str:
    """Whether the program listens on ``port`` (``8080/tcp``), asked from a helper in its network.

    For an engine on another machine, whose published ports this machine cannot reach. The
    helper connects to the container's own address, as a published port would (a program that
    listens only on 127.0.0.1 does not count). A sentence instead of a yes or no when the helper
    could not tell.
    """
    answer = _run_helper(client, container, [_HELPER_ACCEPTS, _address(container), port.split("/")[0]])
    return {"yes": True, "no": False}.get(answer.strip(), answer.strip())


def _get_from_helper(client: docker.DockerClient, container, port: int, path: str) -> tuple[int, str] | str:
    """``GET path`` from a helper container in the app's network, on the engine's side.

    For an engine on another machine, whose published ports this machine cannot reach. The
    helper is the profile's Python runtime image, which every profile has on the engine.
    """
    output = _run_helper(client, container, [_HELPER_GET, f"http://{_address(container)}:{port}{path}"])
    first, _, body = output.partition("\n")
    return (int(first), body) if first.isdigit() else first


def _run_helper(client: docker.DockerClient, container, script: list[str]) -> str:
    """``python3 -c script…`` in a helper container sharing ``container``'s network; its output.

    The helper is the profile's Python runtime image, which every profile has on the engine.
    """
    helper = active_profile(client, say=quiet).resolve("python:3.11-slim")
    try:
        return run_command(
            client,
            helper,
            ["python3", "-c", *script],
            timeout=20,
            check=False,
            network_mode=f"container:{container.id}",
        )
    except docker.errors.APIError as exc:  # no helper image, or the app stopped and its network is gone
        return f"the helper container could not run ({exc.explanation or exc})"
    except ContainerFailed as exc:  # it did not finish in time
        return f"the helper container did not answer ({exc})"


def _address(container) -> str:
    """The container's own address on its network (where published ports lead), else 127.0.0.1."""
    networks = (container.attrs.get("NetworkSettings") or {}).get("Networks") or {}
    return next((n["IPAddress"] for n in networks.values() if n.get("IPAddress")), "127.0.0.1")


def copy_from_image(client: docker.DockerClient, image: str, path: str, destination: Path) -> None:
    """Copy ``path`` out of ``image`` into the directory ``destination`` (like ``docker cp``).

    A container is created (never started) to read from, and always removed.
    """
    container = client.containers.create(image, labels=lbl.project_labels(**{lbl.CONTAINER: "copy"}))
    try:
        stream, _ = container.get_archive(path)
        archive = io.BytesIO(b"".join(stream))
    finally:
        container.remove(force=True)
    with tarfile.open(fileobj=archive) as tar:
        tar.extractall(destination, filter="data")


def _log_tail(container) -> list[str]:
    try:
        return container.logs(tail=LOG_TAIL).decode(errors="replace").rstrip().splitlines()
    except docker.errors.APIError:
        return []
