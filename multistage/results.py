"""What a build did: its steps, its stages, its image — the result types every other module shares."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from .errors import UnknownName

__all__ = [
    "BuildReport",
    "BuildRequest",
    "LOG_TAIL",
    "ParsedStream",
    "Step",
    "amount",
    "does_work",
    "error_text",
    "mb",
    "ratio_text",
    "work_counts",
]

#: Lines of a log kept for the error message of a failed build or container.
LOG_TAIL = 15


def mb(size: float) -> float:
    """Bytes in megabytes (10⁶ bytes, as the engine's and the charts' MB), the one unit sizes are shown in."""
    return size / 1e6


def amount(megabytes: float) -> str:
    """Megabytes as a person reads them, the one rule for sizes in prose and labels: ``12.3 MB``,
    and kB under one MB (``0.0 MB`` would hide a small amount)."""
    return f"{megabytes:.1f} MB" if megabytes >= 1 else f"{megabytes * 1e3:.0f} kB"


def ratio_text(ratio: float) -> str:
    """How charts and verdicts write a ratio: ``134×`` from ten up, ``3.3×`` below."""
    return f"{ratio:.0f}×" if ratio >= 10 else f"{ratio:.1f}×"


def error_text(message: dict) -> str | None:
    """The error an Engine API build message carries (either builder), or ``None``."""
    if "error" not in message and "errorDetail" not in message:
        return None
    return message.get("error") or message["errorDetail"].get("message", "unknown error")


#: Instructions that only set the image's or the build's configuration: the classic builder
#: reports a step for each, BuildKit none, so counts of steps leave them out under both.
CONFIG_ONLY = frozenset(
    {
        "ARG",
        "CMD",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
    }
)


def does_work(keyword: str) -> bool:
    """Whether an instruction builds anything: ``FROM`` and the instructions that only set
    configuration (:data:`CONFIG_ONLY`, the global ``ARG`` lines included) do not.

    Such steps count as cached unless a base image had to be pulled, and charts show them grey.
    """
    return keyword != "FROM" and keyword not in CONFIG_ONLY


def work_counts(steps: list[Step]) -> tuple[int, int]:
    """``(ran, from the cache)`` among ``steps`` that do work (see :func:`does_work`): the one
    count every progress line, title and table uses."""
    work = [s for s in steps if s.does_work]
    ran = sum(not s.cached for s in work)
    return ran, len(work) - ran


@dataclass
class Step:
    """One Dockerfile instruction as the builder ran it.

    ``stage`` counts ``FROM`` lines from 0; the global ``ARG`` lines before the first ``FROM``
    have stage -1. ``cached`` is True when the builder reused a cached layer (see
    :func:`does_work` for steps that build nothing). ``start`` is when the step started, in
    seconds from the first step's start.
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

    @property
    def does_work(self) -> bool:
        """False for ``FROM`` and the steps that only set configuration, which build nothing."""
        return does_work(self.keyword)


@dataclass(frozen=True)
class BuildRequest:
    """What a builder is asked to build; the same for both builders.

    Attributes:
        dockerfile: The Dockerfile's path relative to the context.
        tag: ``name:tag`` for the result, or ``None``.
        target: Build only up to this stage.
        build_args: Build args (the profile's base images included).
        labels: Labels for the image.
        nocache: Ignore the build cache.
        secrets: Secret id -> the file holding it, for ``RUN --mount=type=secret,id=...``
            (BuildKit through buildx only: the engine gets them over a session, never in a layer).
    """

    dockerfile: str
    tag: str | None = None
    target: str | None = None
    build_args: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    nocache: bool = False
    secrets: dict[str, str] = field(default_factory=dict)


@dataclass
class ParsedStream:
    """A build's message stream read by either builder.

    Attributes:
        steps: The steps that ran, in Dockerfile order.
        image_id: The image built, or ``None`` when the build failed.
        error: The engine's error text, or ``None``.
        log: The lines the build printed.
        total_steps: Instructions in the Dockerfile, when the stream says.
        failed: The step that failed, when one did.
    """

    steps: list[Step]
    image_id: str | None
    error: str | None
    log: list[str]
    total_steps: int | None
    failed: Step | None = None


@dataclass
class BuildReport:
    """What one build did and produced.

    Attributes:
        image_id: The image's id.
        tags: Its tags.
        size: Its size in bytes.
        builder: ``classic`` or ``buildkit``.
        profile_label: The label of the base-image profile the build used (``Profile.label``:
            "local", "official", "official, with local stand-ins for gcr.io images").
        dockerfile: The Dockerfile's path relative to ``context``.
        context: The build context (may be a temporary copy that no longer exists).
        target: The ``--target`` stage, or ``None``.
        seconds: Wall time of the build.
        steps: Every step that ran.
        build_args: The build args given.
        dockerfile_text: The Dockerfile as built.
        command: The command a learner would type for the same build (``docker build …``,
            ``docker buildx build …`` or ``podman build …``; the project's labels left out).
    """

    image_id: str
    tags: list[str]
    size: int
    builder: str
    profile_label: str
    dockerfile: str
    context: str
    target: str | None
    seconds: float
    steps: list[Step] = field(default_factory=list)
    build_args: dict[str, str] = field(default_factory=dict)
    dockerfile_text: str = ""
    command: str = ""

    @property
    def size_mb(self) -> float:
        """Image size in megabytes (10^6 bytes), as ``docker images`` shows it."""
        return mb(self.size)

    @property
    def cached_share(self) -> float:
        """Share of the steps that do work (see :func:`does_work`) served from cache."""
        work = [s for s in self.steps if s.does_work]
        return sum(s.cached for s in work) / len(work) if work else 1.0

    def work_counts(self, stage: str | int | None = None) -> tuple[int, int]:
        """:func:`work_counts` of the whole build, or of one stage."""
        return work_counts(self.steps if stage is None else self.steps_in(stage))

    def step_starting(self, prefix: str) -> Step:
        """Return the first step whose instruction starts with ``prefix`` (``"RUN npm install"``
        finds ``RUN npm install --omit=dev``).

        Raises:
            UnknownName: No step matches (also a ``KeyError``); the message lists the steps.
        """
        for step in self.steps:
            if step.instruction.startswith(prefix):
                return step
        raise UnknownName(f"no step starts with {prefix!r}; steps: {[s.instruction for s in self.steps]}")

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
            raise UnknownName(f"no step of stage {stage!r} ran; stages run: {sorted(self.stages_run)}")
        return min(s.start for s in steps), max(s.start + s.seconds for s in steps)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per step: number, stage, stage_name, instruction, cached, start, seconds."""
        return pd.DataFrame(
            [asdict(s) for s in self.steps],
            columns=["number", "stage", "stage_name", "instruction", "cached", "start", "seconds"],
        )
