"""The one function that builds an image, with the classic builder or BuildKit, and reports every step."""

from __future__ import annotations

import json
import re
import shlex
import time
import weakref
from collections.abc import Generator
from pathlib import Path
from types import ModuleType

import docker
import requests
import urllib3

from . import buildkit, buildx, classic
from . import labels as lbl
from .dockerfile import (
    image_bases,
    numbered_instructions,
    parse_stages,
    reachable,
    read_dockerfile,
    stage_list,
)
from .engine import client_or_connect, engine_kind, engine_major
from .errors import BuildFailed, EngineUnavailable, UsageError
from .listings import image_size
from .profiles import Profile, active_profile
from .progress import BuildProgress, Say, quiet, shorten
from .results import LOG_TAIL, BuildReport, BuildRequest, ParsedStream, Step, work_counts

__all__ = [
    "BUILDAH",
    "BUILDERS",
    "available_builders",
    "build",
    "builder_path",
    "buildx_works",
    "learner_command",
    "through_buildx",
    "default_builder",
    "read_recording",
]

#: Podman's builder: Buildah, behind the same ``POST /build`` call as Docker's classic builder
#: (whose parser also reads Buildah's stream), but with its own rules: it skips stages the
#: target does not need and accepts ``RUN --mount``, as BuildKit does.
BUILDAH = "buildah"

#: The builders :func:`build` can drive, each a module with ``start`` and ``parse``; BuildKit first.
BUILDERS = {buildkit.NAME: buildkit, classic.NAME: classic, BUILDAH: classic}

_ERROR_LINE = re.compile(r"\bline (\d+)\b")
#: What a connection that drops in the middle of a build raises, depending on where it drops.
_CONNECTION_LOST = (requests.exceptions.ConnectionError, urllib3.exceptions.HTTPError, ConnectionError)


def build(
    context: str | Path,
    dockerfile: str = "Dockerfile",
    *,
    tag: str | None = None,
    target: str | None = None,
    builder: str | None = None,
    profile: Profile | None = None,
    build_args: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    nocache: bool = False,
    secrets: dict[str, str] | None = None,
    client: docker.DockerClient | None = None,
    progress: bool = True,
    record: str | Path | None = None,
) -> BuildReport:
    """Build ``dockerfile`` in ``context`` and report every step, with either builder.

    Both builders return the same :class:`~multistage.results.BuildReport`, with steps
    numbered like the classic builder's ``Step N/M``. Base images named by global ``ARG``
    defaults become the active profile's (e.g. ``node:18`` becomes the local Node builder
    under the ``local`` profile). Every image carries the project label; intermediate
    containers are always removed, also when a step fails or the build is interrupted.

    Args:
        context: The build context directory.
        dockerfile: The Dockerfile's path, relative to ``context``.
        tag: Optional ``name:tag`` for the result.
        target: Build only up to this stage.
        builder: ``"buildkit"`` or ``"classic"``; ``None`` takes :func:`default_builder`.
        profile: A :class:`~multistage.profiles.Profile`; ``None`` uses the active profile.
        build_args: Extra build args; they win over the profile's.
        labels: Extra labels for the image.
        nocache: Ignore the build cache.
        secrets: Secret id -> file, for ``RUN --mount=type=secret`` (``docker buildx build
            --secret``); BuildKit through buildx only.
        client: Docker client; ``None`` connects like the docker CLI.
        progress: Show which build and step is running (terminal or notebook).
        record: Write the raw message stream here as JSON lines (for tests).

    Returns:
        The :class:`~multistage.results.BuildReport`.

    Raises:
        BuildFailed: A step failed, the Dockerfile does not parse, or the engine refused the
            build; the error names the step and its Dockerfile line and carries the log tail.
        EngineUnavailable: The engine stopped answering during the build.
        UsageError: No such Dockerfile or builder, or secrets asked for where ``docker buildx``
            cannot build.
        UnknownName: No such target stage (the message lists the stages).
        DockerfileError: The Dockerfile cannot be read or has no ``FROM``.
        BaseImageUnavailable: A base image of the profile is missing.
    """
    context = Path(context)
    text = _dockerfile_text(context, dockerfile, builder)
    client = client_or_connect(client)
    builder = builder or default_builder(client)
    profile = profile or active_profile(client)
    args = {**profile.build_args_for(text), **(build_args or {})}
    stages = parse_stages(text, args)
    if target is not None:
        reachable(stages, target)
    profile.check_bases(client, image_bases(stages), dockerfile=str(context / dockerfile))
    request = BuildRequest(
        dockerfile,
        tag=tag,
        target=target,
        build_args=args,
        labels=lbl.project_labels(**{lbl.PROFILE: profile.label}, **(labels or {})),
        nocache=nocache,
        secrets=dict(secrets or {}),
    )
    if secrets and not (builder == buildkit.NAME and buildx_works(client)):
        raise UsageError(
            "Build secrets reach a build only through BuildKit's session, which `docker buildx build "
            "--secret` opens; install the buildx plugin (Docker Desktop and Debian 13 have it)."
        )
    through_cli = through_buildx(client, builder, bool(secrets))
    implementation = buildx if through_cli else BUILDERS[builder]
    command = learner_command(client, builder, through_cli, context, request)
    aimed = f" --target {target}" if target else ""
    bar = BuildProgress(f"{context.name}/{dockerfile}{aimed} ({builder})", enabled=progress)
    parsed, seconds = _run(implementation, client, context, request, text, bar, command, record)
    if parsed.error or not parsed.image_id:
        raise _failure(parsed, text, builder, stages, seconds)
    image = client.images.get(parsed.image_id)
    return BuildReport(
        image_id=image.id,
        tags=list(image.tags),
        size=image_size(client, image.id),
        builder=builder,
        profile_label=profile.label,
        dockerfile=str(dockerfile),
        context=str(context),
        target=target,
        seconds=seconds,
        steps=_drop_label_steps(parsed.steps, request.labels),
        build_args=args,
        dockerfile_text=text,
        command=command,
    )


def _run(
    implementation: ModuleType,
    client: docker.DockerClient,
    context: Path,
    request: BuildRequest,
    text: str,
    bar: BuildProgress,
    command: str,
    record: str | Path | None,
) -> tuple[ParsedStream, float]:
    """Start the build with ``implementation`` (a builder module), parse its stream while ``bar``
    shows the running step, and return what it parsed and its seconds, rounded once; the
    connection is closed however it ends (on Ctrl-C the engine then cancels the build)."""
    recording = messages = None
    outcome = "failed"
    started = time.monotonic()
    try:
        recording = open(record, "w") if record else None  # closed in the finally below
        messages = _timed(implementation.start(client, context, request), started, recording)
        parsed = implementation.parse(messages, text, on_step=bar.on_step)
        outcome = _outcome(parsed, _drop_label_steps(parsed.steps, request.labels))
    except docker.errors.DockerException as exc:
        # Refused as it starts (a Dockerfile the classic builder cannot parse, a bad tag or
        # option, by the engine or by the SDK): the same error type as a failing step.
        parsed = ParsedStream([], None, str(getattr(exc, "explanation", None) or exc), [], None)
    except _CONNECTION_LOST as exc:
        running = f" while `{bar.current}` was running" if bar.current else ""
        raise EngineUnavailable(
            f"The Docker engine stopped answering during the build of {context.name}/{request.dockerfile}{running} "
            f"({type(exc).__name__}); start it again (`python -m multistage doctor` says how) and rerun the cell."
        ) from None
    finally:
        if messages is not None:
            messages.close()  # on Ctrl-C this disconnects, and the engine cancels the build
        # Rounded once, so the progress line, the report and every table show the same tenth.
        seconds = round(time.monotonic() - started, 3)
        bar.close(outcome, command=command, seconds=seconds)
        if recording:
            recording.close()
    return parsed, seconds


def learner_command(
    client: docker.DockerClient,
    builder: str,
    through_cli: bool,
    context: Path,
    request: BuildRequest,
    labels: bool = False,
) -> str:
    """The command a learner would type at a terminal for the same build on this engine.

    ``docker buildx build`` where the build went through buildx; ``podman build`` on Podman;
    else ``docker build``, with ``DOCKER_BUILDKIT`` set where the engine's default builder is the
    other one (BuildKit is the default from Engine 23.0). The request's labels (the project's)
    are left out unless ``labels``.
    """
    options = buildx.build_options(context, request, labels=labels)
    if through_cli:
        return shlex.join(["docker", "buildx", "build", *options])
    if builder == BUILDAH:
        return shlex.join(["podman", "build", *options])
    buildkit_default = engine_major(client) >= 23
    prefix = ""
    if builder == buildkit.NAME and not buildkit_default:
        prefix = "DOCKER_BUILDKIT=1 "
    elif builder == classic.NAME and buildkit_default:
        prefix = "DOCKER_BUILDKIT=0 "
    return prefix + shlex.join(["docker", "build", *options])


def through_buildx(client: docker.DockerClient, builder: str, secrets: bool = False) -> bool:
    """Whether a build with ``builder`` goes through ``docker buildx build``: BuildKit where the
    Engine API's path cannot build (the containerd store), or where the build needs secrets."""
    return builder == buildkit.NAME and (_engine(client)["buildx"] or secrets)


def builder_path(client: docker.DockerClient) -> tuple[bool, str]:
    """How this engine's builds get to BuildKit: ``(True, "BuildKit (buildx 0.13.1)")`` or
    ``(True, "BuildKit (Engine API)")``; else ``(False, why not)`` — on Podman, Buildah builds."""
    if _engine(client)["podman"]:
        return False, "Buildah, Podman's builder (BuildKit is Docker's)"
    ok, how = _engine(client)["buildkit"]
    return ok, f"BuildKit ({how})" if ok else how


def default_builder(client: docker.DockerClient) -> str:
    """BuildKit where the engine builds with it — Docker's default builder since Engine 23.0 — else the engine's other one."""
    return available_builders(client, say=quiet)[0]


def available_builders(client: docker.DockerClient, say: Say = print) -> tuple[str, ...]:
    """The builders this engine offers, the default first, with one line saying which (and why, if only one).

    Notebooks build with the first for everything and with every one where they compare
    builders, so an engine without BuildKit shows its own builder's side of each comparison
    instead of failing: Docker's classic builder, or on Podman, Buildah.
    """
    if _engine(client)["podman"]:
        say(
            "Builder: Buildah, Podman's builder behind its Docker-compatible API (BuildKit and Docker's "
            "classic builder are Docker's); where the notebook compares those two, it shows Buildah's side."
        )
        return (BUILDAH,)
    ok, reason = _engine(client)["buildkit"]
    yours = _your_docker_build(client)
    if ok:
        say(
            f"Builder: BuildKit ({reason}); the classic builder only where a notebook says so (to compare the two, or for a plain SDK call). {yours}"
        )
        return (buildkit.NAME, classic.NAME)
    say(
        f"Builder: classic, because BuildKit is not available here ({reason}); this notebook shows "
        f"the classic builder only, and its BuildKit lessons are skipped. {yours}"
    )
    return (classic.NAME,)


def told_builder(client: docker.DockerClient) -> str | None:
    """The ``Builder-Version`` header of the engine's ``/_ping``, which the docker CLI follows
    (``""`` when the engine sends none; ``None`` when the ping cannot be read)."""
    try:
        return client.api._get(client.api._url("/_ping")).headers.get("Builder-Version", "")
    except (docker.errors.APIError, requests.RequestException):
        return None


def _your_docker_build(client: docker.DockerClient) -> str:
    """Which builder the learner's own ``docker build`` uses on this engine, as the engine tells the
    docker CLI: the ``Builder-Version`` header of ``/_ping`` (2: BuildKit, the default from Engine
    23.0; 1: the classic builder). Without the header, by the engine's version."""
    version = client.version().get("Version", "0")
    told = told_builder(client)
    why = {
        None: "",
        "": " (the engine's answer to the docker CLI's ping names no builder, so the CLI picks its own default)",
    }.get(told, f" (the engine answers the docker CLI's ping with `Builder-Version: {told}`)")
    if told == "2" or (not told and engine_major(client) >= 23):
        return f"Your own `docker build` on this Docker Engine {version} uses BuildKit too{why}."
    return (
        f"Your own `docker build` on this Docker Engine {version} uses the classic builder{why} unless "
        "you set DOCKER_BUILDKIT=1 or run `docker buildx build`."
    )


#: Per client: which engine it is and whether it builds with BuildKit (probed once; the probe is a tiny build).
_PROBES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _engine(client: docker.DockerClient) -> dict:
    """Which engine ``client`` reaches and how it builds with BuildKit: through the Engine API where
    that works (no CLI needed), else through ``docker buildx`` (the containerd image store)."""
    if client not in _PROBES:
        podman = engine_kind(client.version(), {}) == "Podman"
        api = (False, "Podman") if podman else buildkit.buildkit_available(client)
        cli = (False, "Podman") if podman or api[0] else buildx.buildx_available(client)
        if api[0]:
            found = (True, "Engine API")
        elif cli[0]:
            found = cli
        else:
            found = (False, f"{api[1]}; {cli[1]}" if not podman else "Podman")
        _PROBES[client] = {"podman": podman, "buildkit": found, "buildx": cli[0]}
    return _PROBES[client]


def buildx_works(client: docker.DockerClient) -> bool:
    """Whether ``docker buildx build`` builds on this engine (probed once; also where the API path works)."""
    probe = _engine(client)
    if "buildx_works" not in probe:
        probe["buildx_works"] = probe["buildx"] or (
            not probe["podman"] and buildx.buildx_available(client)[0]
        )
    return probe["buildx_works"]


def read_recording(path: str | Path) -> list[tuple[float, dict]]:
    """Load a recorded stream (JSON lines of ``{"t": seconds, "msg": message}``)."""
    with open(path) as handle:
        return [(rec["t"], rec["msg"]) for rec in map(json.loads, handle) if rec]


def _dockerfile_text(context: Path, dockerfile: str, builder: str | None) -> str:
    """Check the request before anything is sent, and return the Dockerfile's text."""
    if builder is not None and builder not in BUILDERS:
        raise UsageError(f"There is no builder {builder!r}; use one of: {', '.join(BUILDERS)}.")
    path = context / dockerfile
    if not path.is_file():
        raise UsageError(
            f"There is no {dockerfile} in {context}; pass the Dockerfile's path relative to the context."
        )
    return read_dockerfile(path)


def _timed(
    stream: Generator[dict, None, None], started: float, recording
) -> Generator[tuple[float, dict], None, None]:
    """Stamp each message with the seconds since ``started``; record it when asked. Closes ``stream``."""
    try:
        for message in stream:
            t = time.monotonic() - started
            if recording:
                recording.write(json.dumps({"t": round(t, 4), "msg": message}) + "\n")
            yield t, message
    finally:
        stream.close()


def _outcome(parsed: ParsedStream, steps: list[Step]) -> str:
    """A build's result in a few words, for the line its progress display leaves behind.

    ``steps`` are the report's steps (the classic builder's label steps left out), so the line
    counts what the report and its charts count.
    """
    if parsed.error or not parsed.image_id:
        return f"failed at `{shorten(parsed.failed.instruction)}`" if parsed.failed else "failed"
    ran, cached = work_counts(steps)
    return f"{cached} of {ran + cached} steps from the cache"


def _failure(
    parsed: ParsedStream, text: str, builder: str, stages=(), seconds: float | None = None
) -> BuildFailed:
    """One error for both builders: the failing step and its Dockerfile line, or the line a parse error names."""
    error = (parsed.error or "no image was produced").strip()
    failing = parsed.failed
    numbered = numbered_instructions(text)
    if failing:
        line: int | None = next(i.line for i in numbered if i.number == failing.number)
        # The Dockerfile's line, not a step number: the builders and the progress line count steps
        # three ways (classic's instructions, BuildKit's vertices, the steps that do work).
        where = f"`{failing.instruction}` (line {line})"
    else:
        found = _ERROR_LINE.search(error)
        line = int(found[1]) if found else None
        where = "The Dockerfile" if line else "The build"
    # `COPY --from=<word>` where no stage has that name: the engine took it for an image and
    # failed to get it. Only plain words are rewritten: `nginx:alpine` or `ghcr.io/x` are images.
    typo = next(
        (
            ref
            for stage in stages
            for ref in stage.external_copies
            if re.fullmatch(r"[A-Za-z0-9_-]+", ref) and ref in error
        ),
        None,
    )
    if typo:
        error = (
            f"there is no stage named {typo!r} (COPY --from={typo} was taken as an image name, "
            f"which could not be had: {error}); stages: {stage_list(stages)}"
        )
    return BuildFailed(
        f"{where} failed under the {builder} builder: {error}",
        step=failing.instruction if failing else None,
        line=line,
        log_tail=parsed.log[-LOG_TAIL:],
        seconds=seconds,  # rounded by build(), as its report's
        log=parsed.log,
    )


def _drop_label_steps(steps: list[Step], labels: dict[str, str]) -> list[Step]:
    """Remove the trailing ``LABEL`` steps the engine appends for the ``labels`` build option.

    Docker's classic builder writes them ``LABEL key=value``, Podman's Buildah ``LABEL "key"="value"``.
    """
    added = {f"LABEL {key}={value}" for key, value in labels.items()}
    added |= {f'LABEL "{key}"="{value}"' for key, value in labels.items()}
    steps = list(steps)
    while steps and steps[-1].instruction in added:
        steps.pop()
    return steps
