"""BuildKit builds the way the docker CLI drives them: ``docker buildx build --progress=rawjson --load``.

The Engine API's BuildKit path (:mod:`multistage.buildkit`) needs no CLI, but on Docker's
containerd image store (Docker Desktop since 4.34, new installs of Engine 29) the engine cannot
read a context uploaded as a tar (moby/buildkit#5623). There, builds go through the buildx
plugin, as a learner's own ``docker build`` does. ``--progress=rawjson`` writes BuildKit's
status as JSON objects on stderr — the same vertexes, statuses and logs the API path decodes
from protobuf — so :func:`multistage.buildkit.parse` reads both, and both give the same report.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Generator
from pathlib import Path

import docker

from . import labels as lbl
from .buildkit import IMAGE_ID, parse
from .engine import engine_host
from .results import BuildRequest

__all__ = [
    "build_options",
    "buildx_available",
    "buildx_command",
    "buildx_version",
    "parse",
    "start",
]

#: What the CLI answers when the plugin is missing ("docker: 'buildx' is not a docker command").
_NO_PLUGIN = "is not a docker command"


def _cli_host(client: docker.DockerClient) -> str | None:
    """The ``DOCKER_HOST`` that reaches the engine behind ``client`` (``None``: the CLI's own default)."""
    base = str(client.api.base_url)
    if base.startswith(("http://", "https://")):
        return "tcp://" + base.split("://", 1)[1]
    return engine_host()


def buildx_version(client: docker.DockerClient) -> str | None:
    """The buildx plugin's version (``0.13.1``) when ``docker buildx`` works here, else ``None``."""
    if shutil.which("docker") is None:
        return None
    result = subprocess.run(
        ["docker", "buildx", "version"], capture_output=True, text=True, env=_env(client), timeout=60
    )
    if result.returncode != 0 or _NO_PLUGIN in result.stderr:
        return None
    words = result.stdout.split()
    return words[1].split("+")[0] if len(words) > 1 else "?"


def _env(client: docker.DockerClient) -> dict[str, str]:
    env = dict(os.environ)
    host = _cli_host(client)
    if host:
        env["DOCKER_HOST"] = host
    return env


def build_options(context: Path, request: BuildRequest, labels: bool = True) -> list[str]:
    """The options and context of a ``docker build``-style command line for ``request``.

    The same for ``docker build``, ``docker buildx build`` and ``podman build``; ``labels=False``
    leaves out the project's labels, for the command shown to a learner.
    """
    options: list[str] = []
    if request.dockerfile != "Dockerfile":
        options += ["-f", str(context / request.dockerfile)]
    if request.target:
        options += ["--target", request.target]
    if request.tag:
        options += ["-t", request.tag]
    if request.nocache:
        options.append("--no-cache")
    for name, value in request.build_args.items():
        options += ["--build-arg", f"{name}={value}"]
    for name, value in request.labels.items() if labels else ():
        options += ["--label", f"{name}={value}"]
    for name, path in request.secrets.items():
        options += ["--secret", f"id={name},src={path}"]
    return [*options, str(context)]


def buildx_command(context: Path, request: BuildRequest, iidfile: str | None = None) -> list[str]:
    """The ``docker buildx build`` command line this module runs for ``request`` (progress as JSON, id to ``iidfile``)."""
    command = ["docker", "buildx", "build", "--load"]
    if iidfile:
        command += ["--progress=rawjson", "--iidfile", iidfile]
    return command + build_options(context, request)


def start(client: docker.DockerClient, context: Path, request: BuildRequest) -> Generator[dict, None, None]:
    """Run ``docker buildx build`` and yield BuildKit's status objects, then the image id or the error.

    The messages after the status objects have the Engine API's shapes (``{"id": "moby.image.id",
    "aux": {"ID": …}}``, ``{"error": …}``), so the parser needs no second path. Closing the
    generator stops the CLI, which cancels the build.
    """
    with tempfile.TemporaryDirectory(prefix="multistage-buildx-") as tmp:
        iidfile = str(Path(tmp) / "iid")
        process = subprocess.Popen(
            buildx_command(context, request, iidfile),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(client),
        )
        assert process.stderr is not None
        decoder = json.JSONDecoder()
        buffer, other = "", []
        try:
            for line in process.stderr:
                if not buffer and not line.lstrip().startswith("{"):
                    other.append(line.rstrip())  # the CLI's own words: "ERROR: failed to solve: …"
                    continue
                buffer += line
                while buffer:
                    try:
                        status, end = decoder.raw_decode(buffer)
                    except json.JSONDecodeError:
                        break  # the object goes on in the next line
                    buffer = buffer[end:].lstrip()
                    yield status
            code = process.wait()
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        if code == 0 and Path(iidfile).is_file():
            yield {"id": IMAGE_ID, "aux": {"ID": Path(iidfile).read_text().strip()}}
        else:
            said = [line.removeprefix("ERROR: ") for line in other if line.startswith("ERROR: ")]
            yield {"error": said[-1] if said else f"`{shlex.join(buildx_command(context, request))}` failed"}


def buildx_available(client: docker.DockerClient) -> tuple[bool, str]:
    """Probe whether ``docker buildx build`` builds on this engine: a one-line build, then removed.

    Returns:
        ``(True, "buildx 0.13.1")`` when it built, else ``(False, reason)``.
    """
    version = buildx_version(client)
    if version is None:
        return False, "the docker CLI has no buildx plugin"
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "Dockerfile").write_text("FROM scratch\nENV PROBE=1\n")
        request = BuildRequest("Dockerfile", labels=lbl.project_labels(), nocache=True)
        outcome = list(start(client, Path(tmp), request))[-1]
    if outcome.get("id") != IMAGE_ID:
        return False, f"`docker buildx build` failed here: {outcome.get('error')}"
    try:
        client.images.remove(outcome["aux"]["ID"], force=True)
    except docker.errors.APIError:
        pass
    return True, f"buildx {version}"
