"""Build an image with the classic builder or BuildKit through the Docker SDK's connection, and report every step."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import docker
import pandas as pd

from . import buildkit
from . import labels as lbl
from .errors import BuildFailed, MultistageError
from .stages import dockerfile_bases, numbered_instructions, parse_stages, reachable

__all__ = [
    "BUILDERS",
    "BuildReport",
    "ParsedStream",
    "Step",
    "build",
    "parse_stream",
    "read_recording",
]

#: The builders :func:`build` can drive.
BUILDERS = ("classic", "buildkit")

_ERROR_LINE = re.compile(r"\bline (\d+)\b")
_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_FROM = re.compile(r"^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$", re.IGNORECASE)

#: Lines of build output kept for the error message of a failed build.
LOG_TAIL = 15


@dataclass
class Step:
    """One Dockerfile instruction as the builder ran it.

    ``stage`` counts ``FROM`` lines from 0; the global ``ARG`` lines before the first ``FROM``
    have stage -1. ``cached`` is True when the builder reused a cached layer; under the classic
    builder ``FROM`` and global ``ARG`` steps build nothing and count as cached unless a base
    image was pulled. ``start`` is when the step started, in seconds from the first step's start.
    """

    number: int
    stage: int
    stage_name: str | None
    instruction: str
    cached: bool
    seconds: float
    start: float = 0.0

    @property
    def keyword(self) -> str:
        """The instruction keyword, upper-case (``RUN``, ``COPY``, ...)."""
        return self.instruction.split(None, 1)[0].upper() if self.instruction else ""


@dataclass
class BuildReport:
    """What one build did and produced."""

    image_id: str
    tags: list[str]
    size: int
    builder: str
    profile: str
    dockerfile: str
    context: str
    target: str | None
    seconds: float
    steps: list[Step] = field(default_factory=list)
    build_args: dict[str, str] = field(default_factory=dict)
    #: The Dockerfile as built (its context may be a temporary copy that no longer exists).
    dockerfile_text: str = ""

    @property
    def size_mb(self) -> float:
        """Image size in megabytes (10^6 bytes), as ``docker images`` shows it."""
        return self.size / 1e6

    @property
    def cached_share(self) -> float:
        """Share of the steps that do work (all but ``FROM`` and ``ARG``) served from cache."""
        work = [s for s in self.steps if s.keyword not in ("FROM", "ARG")]
        return sum(s.cached for s in work) / len(work) if work else 1.0

    def step(self, instruction: str) -> Step:
        """Return the first step whose instruction starts with ``instruction``.

        Raises:
            KeyError: No step matches; the message lists the steps.
        """
        for step in self.steps:
            if step.instruction.startswith(instruction):
                return step
        raise KeyError(f"no step starts with {instruction!r}; steps: {[s.instruction for s in self.steps]}")

    @property
    def stages_run(self) -> set[int]:
        """Indexes of the stages at least one step of which the builder ran (or took from cache)."""
        return {s.stage for s in self.steps if s.stage >= 0}

    def steps_in(self, stage: str | int) -> list[Step]:
        """The steps of one stage, by name or index; empty when the builder skipped it."""
        return [s for s in self.steps if stage in (s.stage, s.stage_name, str(s.stage))]

    def stage_span(self, stage: str | int) -> tuple[float, float]:
        """``(first start, last end)`` of a stage's steps, in seconds from the first step's start.

        Raises:
            KeyError: The builder ran no step of ``stage``.
        """
        steps = self.steps_in(stage)
        if not steps:
            raise KeyError(f"no step of stage {stage!r} ran; stages run: {sorted(self.stages_run)}")
        return min(s.start for s in steps), max(s.start + s.seconds for s in steps)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per step: number, stage, stage_name, instruction, cached, start, seconds."""
        return pd.DataFrame(
            [asdict(s) for s in self.steps],
            columns=["number", "stage", "stage_name", "instruction", "cached", "start", "seconds"],
        )


@dataclass
class ParsedStream:
    """The result of reading a build's message stream (either builder)."""

    steps: list[Step]
    image_id: str | None
    error: str | None
    log: list[str]
    total_steps: int | None
    failed: Step | None = None


def parse_stream(messages: Iterable[tuple[float, dict]], on_step=None) -> ParsedStream:
    """Read a classic builder's JSON message stream into steps.

    The engine sends a step header and its newline as separate messages, so ``stream`` text is
    joined before it is split into lines. A step's seconds run from its header to the next
    header (or the end of the stream).

    Args:
        messages: ``(seconds since start, decoded message)`` pairs, in arrival order.
        on_step: Called with ``(number, total)`` each time a step starts, for progress bars.

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

    def handle(line: str, t: float) -> None:
        nonlocal stage, stage_name, total
        header = _STEP.match(line)
        if header:
            number, total, instruction = int(header[1]), int(header[2]), header[3].strip()
            from_line = _FROM.match(instruction)
            if from_line:
                stage += 1
                stage_name = from_line[2]
            # FROM and the global ARGs before it build nothing: they count as cached unless a
            # base image had to be pulled.
            no_work = bool(from_line) or (stage < 0 and instruction.upper().startswith("ARG"))
            steps.append(Step(number, stage, stage_name, instruction, no_work, 0.0))
            starts.append(t)
            if on_step:
                on_step(number, total)
        elif steps and line.strip() == "---> Using cache":
            steps[-1].cached = True
        elif steps and steps[-1].keyword == "FROM" and line.lstrip().startswith(("Pulling", "Digest:")):
            steps[-1].cached = False
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
        if "error" in message or "errorDetail" in message:
            error = message.get("error") or message["errorDetail"].get("message", "unknown error")
    if buffer:
        handle(buffer, last_t)
    ends = starts[1:] + [last_t]
    for step, start, end in zip(steps, starts, ends, strict=True):
        step.seconds = round(max(end - start, 0.0), 4)
        step.start = round(start - starts[0], 4)
    failed = steps[-1] if error and steps else None
    return ParsedStream(steps, None if error else image_id, error, log, total, failed)


def read_recording(path: str | Path) -> list[tuple[float, dict]]:
    """Load a recorded stream (JSON lines of ``{"t": seconds, "msg": message}``)."""
    with open(path) as handle:
        return [(rec["t"], rec["msg"]) for rec in map(json.loads, handle) if rec]


def build(
    context: str | Path,
    dockerfile: str = "Dockerfile",
    *,
    tag: str | None = None,
    target: str | None = None,
    builder: str = "classic",
    profile=None,
    build_args: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    nocache: bool = False,
    client: docker.DockerClient | None = None,
    progress: bool = True,
    record: str | Path | None = None,
) -> BuildReport:
    """Build ``dockerfile`` in ``context`` and report every step, with either builder.

    ``builder="classic"`` drives the legacy builder through the SDK; ``builder="buildkit"``
    sends the same build to the same engine with ``version=2`` (see :mod:`multistage.buildkit`).
    Both return the same :class:`BuildReport`, with steps numbered like ``Step N/M``.

    Base images named by global ``ARG`` defaults are swapped for the active base-image
    profile's stand-ins (e.g. ``node:18`` becomes the local Node builder image under the
    ``local`` profile). Every image is labelled with the project label; intermediate
    containers are always removed, also when a step fails.

    Args:
        context: The build context directory.
        dockerfile: The Dockerfile's path, relative to ``context``.
        tag: Optional ``name:tag`` for the result.
        target: Build only up to this stage.
        builder: ``"classic"`` or ``"buildkit"``.
        profile: A :class:`multistage.bases.Profile`; ``None`` uses the active profile.
        build_args: Extra build args; they win over the profile's.
        labels: Extra labels for the image.
        nocache: Ignore the build cache.
        client: Docker client; ``None`` connects like the docker CLI.
        progress: Show a step N of M progress bar (terminal or notebook).
        record: Write the raw message stream here as JSON lines (for tests).

    Returns:
        The :class:`BuildReport`.

    Raises:
        BuildFailed: A step failed or the Dockerfile does not parse; the error names the step
            and its Dockerfile line and carries the log tail.
        MultistageError: No such Dockerfile, builder or target stage (the message lists the stages).
        BaseImageUnavailable: A base image of the profile is missing.
    """
    from . import bases
    from .engine import connect

    client = client or connect()
    profile = profile or bases.active_profile(client)
    context = Path(context)
    dockerfile_path = context / dockerfile
    if not dockerfile_path.is_file():
        raise MultistageError(
            f"There is no {dockerfile} in {context}; pass the Dockerfile's path relative to the context."
        )
    if builder not in BUILDERS:
        raise MultistageError(f"There is no builder {builder!r}; use one of: {', '.join(BUILDERS)}.")
    text = dockerfile_path.read_text()
    args = profile.build_args_for(text)
    args.update(build_args or {})
    if target is not None:
        reachable(parse_stages(text, args), target)
    profile.check_bases(client, dockerfile_bases(text, args), dockerfile=str(dockerfile_path))
    all_labels = lbl.project_labels(**{lbl.PROFILE: profile.name}, **(labels or {}))

    bar = _progress_bar(f"{context.name}/{dockerfile}") if progress else None
    on_step = None
    if bar is not None:

        def on_step(number: int, total: int) -> None:
            bar.total = total
            bar.n = number - 1
            bar.refresh()

    started = time.monotonic()
    recording = open(record, "w") if record else None
    if builder == "buildkit":
        stream = buildkit.start_build(
            client,
            context,
            dockerfile,
            tag=tag,
            target=target,
            build_args=args,
            labels=all_labels,
            nocache=nocache,
        )

        def parse(messages, on_step):
            return buildkit.parse_trace(messages, text, on_step=on_step)
    else:
        stream = client.api.build(
            path=str(context),
            dockerfile=dockerfile,
            tag=tag,
            target=target,
            buildargs=args,
            labels=all_labels,
            rm=True,
            forcerm=True,
            nocache=nocache,
            decode=True,
            pull=False,
        )
        parse = parse_stream

    def timed() -> Iterable[tuple[float, dict]]:
        for message in stream:
            t = time.monotonic() - started
            if recording:
                recording.write(json.dumps({"t": round(t, 4), "msg": message}) + "\n")
            yield t, message

    try:
        parsed = parse(timed(), on_step=on_step)
    except docker.errors.APIError as exc:
        # The classic builder refuses a Dockerfile that does not parse with HTTP 400 (raised
        # when the stream is first read); BuildKit reports it in the stream. Same error either way.
        parsed = ParsedStream([], None, str(exc.explanation or exc), [], None)
    finally:
        stream.close()  # on Ctrl-C this disconnects, and the engine cancels the build
        if recording:
            recording.close()
        if bar is not None:
            bar.n = bar.total or bar.n
            bar.close()
    seconds = time.monotonic() - started
    steps = _drop_label_steps(parsed.steps, all_labels)
    if parsed.error or not parsed.image_id:
        raise _failure(parsed, text, builder)
    image = client.images.get(parsed.image_id)
    return BuildReport(
        image_id=image.id,
        tags=list(image.tags),
        size=image.attrs["Size"],
        builder=builder,
        profile=profile.name,
        dockerfile=str(dockerfile),
        context=str(context),
        target=target,
        seconds=round(seconds, 3),
        steps=steps,
        build_args=args,
        dockerfile_text=text,
    )


def _failure(parsed: ParsedStream, text: str, builder: str) -> BuildFailed:
    """One error for both builders: the failing step and its Dockerfile line, or the line a parse error names."""
    error = (parsed.error or "no image was produced").strip()
    failing = parsed.failed
    numbered = numbered_instructions(text)
    if failing:
        line = next(i.line for i in numbered if i.number == failing.number)
        where = f"Step {failing.number}/{len(numbered)} `{failing.instruction}` (line {line})"
    else:
        found = _ERROR_LINE.search(error)
        line = int(found[1]) if found else None
        where = "The Dockerfile" if line else "The build"
    return BuildFailed(
        f"{where} failed under the {builder} builder: {error}",
        step=failing.instruction if failing else None,
        line=line,
        log_tail=parsed.log[-LOG_TAIL:],
    )


def _drop_label_steps(steps: list[Step], labels: dict[str, str]) -> list[Step]:
    """Remove the trailing ``LABEL`` steps the engine appends for the ``labels`` build option."""
    added = {f"LABEL {key}={value}" for key, value in labels.items()}
    steps = list(steps)
    while steps and steps[-1].instruction in added:
        steps.pop()
    return steps


def _progress_bar(description: str):
    from tqdm.auto import tqdm

    # disable=None: a bar on terminals and in notebooks, nothing in logs of non-interactive runs.
    return tqdm(total=None, desc=description, unit="step", leave=False, disable=None)
