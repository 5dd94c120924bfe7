"""The classic builder through the Docker SDK: start a build, turn its JSON message stream into steps.

One of the two builders behind :func:`multistage.build.build`; :mod:`multistage.buildkit` is the
other. Both offer ``start(client, context, request)`` and ``parse(messages, dockerfile_text,
on_step)`` and return the same :class:`~multistage.results.ParsedStream`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterable
from pathlib import Path

import docker

from .dockerfile import Stage, from_parts, parse_stages
from .results import BuildRequest, ParsedStream, Step, error_text

__all__ = [
    "NAME",
    "parse",
    "start",
]

NAME = "classic"

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
#: Podman's compatible API numbers steps within each stage: ``[2/2] STEP 3/5: COPY ...``
#: (no ``[i/n]`` when there is one stage) and marks a cached step ``--> Using cache <id>``.
_PODMAN_STEP = re.compile(r"^(?:\[\d+/\d+\] )?STEP \d+/\d+: (.*)$")
_USING_CACHE = re.compile(r"^-{2,3}> Using cache\b")


def start(client: docker.DockerClient, context: Path, request: BuildRequest) -> Generator[dict, None, None]:
    """Start a classic build and yield its decoded JSON messages.

    Intermediate containers are removed also when a step fails; base images are never pulled
    (the profile provides them). Closing the generator closes the connection, and the engine
    cancels the build.

    Raises:
        docker.errors.APIError: The engine refused the build (a Dockerfile that does not parse
            is refused with HTTP 400 when the stream is first read).
    """
    stream = client.api.build(
        path=str(context),
        dockerfile=request.dockerfile,
        tag=request.tag,
        target=request.target,
        buildargs=request.build_args,
        labels=request.labels,
        rm=True,
        forcerm=True,
        nocache=request.nocache,
        decode=True,
        pull=False,
    )
    try:
        yield from stream
    finally:
        stream.close()


def parse(
    messages: Iterable[tuple[float, dict]],
    dockerfile_text: str = "",
    on_step: Callable[[int, int | None, str], None] | None = None,
) -> ParsedStream:
    """Read a classic builder's JSON message stream into steps (Docker's, or Podman's compatible one).

    The engine sends a step header and its newline as separate messages, so ``stream`` text is
    joined before it is split into lines. A step's seconds run from its header to the next
    header (or the end of the stream). The stream names every step itself; ``dockerfile_text``
    tells which stage a ``FROM`` starts, because Podman's Buildah skips stages the target does
    not need, so counting ``FROM`` lines would misnumber the stages after a skipped one.

    Args:
        messages: ``(seconds since start, decoded message)`` pairs, in arrival order.
        dockerfile_text: The Dockerfile built (without it, stages are numbered in the order they ran).
        on_step: Called with ``(number, total, instruction)`` each time a step starts.

    Returns:
        The parsed steps, final image id, error text (if the build failed) and log lines.
    """
    steps: list[Step] = []
    log: list[str] = []
    starts: list[float] = []
    buffer = ""
    image_id = None
    error = None
    total = None
    stage = -1
    stage_name = None
    last_t = 0.0
    stages = parse_stages(dockerfile_text) if dockerfile_text.strip() else []

    def handle(line: str, t: float) -> None:
        nonlocal stage, stage_name, total
        header = _STEP.match(line)
        podman = None if header else _PODMAN_STEP.match(line)
        if header or podman:
            if header:
                number, total, instruction = int(header[1]), int(header[2]), header[3].strip()
            elif podman:  # numbered across stages here, as the classic builder numbers them
                number, total, instruction = len(steps) + 1, None, podman[1].strip()
            keyword, _, value = instruction.partition(" ")
            if keyword.upper() == "FROM":
                stage_name = from_parts(value)[1]
                stage = _stage_index(stages, stage_name, stage)
            step = Step(number, stage, stage_name, instruction, False, 0.0)
            step.cached = not step.does_work
            steps.append(step)
            starts.append(t)
            if on_step:
                on_step(number, total, instruction)
        elif steps and _USING_CACHE.match(line.strip()):
            steps[-1].cached = True
        elif steps and steps[-1].keyword == "FROM" and line.lstrip().startswith(("Pulling", "Digest:")):
            steps[-1].cached = False  # a pulled base image is work
        log.append(line)

    for t, message in messages:
        last_t = t
        if "stream" in message:
            buffer += message["stream"]
            *lines, buffer = buffer.split("\n")
            for line in lines:
                handle(line, t)
        elif "status" in message:
            # Pull progress of a FROM image; only its first line per layer is worth a log line.
            text = " ".join(str(message.get(k, "")) for k in ("status", "id")).strip()
            handle(text, t)
        elif "aux" in message and isinstance(message["aux"], dict) and "ID" in message["aux"]:
            image_id = message["aux"]["ID"]
        if (found := error_text(message)) is not None:
            error = found
    if buffer:
        handle(buffer, last_t)
    ends = starts[1:] + [last_t]
    for step, start, end in zip(steps, starts, ends, strict=True):
        step.seconds = round(max(end - start, 0.0), 4)
        step.start = round(start - starts[0], 4)
    failed = steps[-1] if error and steps else None
    return ParsedStream(steps, None if error else image_id, error, log, total, failed)


def _stage_index(stages: list[Stage], name: str | None, previous: int) -> int:
    """The Dockerfile's index of the stage a ``FROM`` starts: by its name, else the next unnamed stage."""
    if name:
        named = [s.index for s in stages if s.name and s.name.lower() == name.lower()]
        if named:
            return named[0]
    unnamed = [s.index for s in stages if s.index > previous and not s.name]
    return unnamed[0] if unnamed and not name else previous + 1
