"""BuildKit builds over the Docker SDK's own connection, and the decoding of BuildKit's progress trace.

The Docker SDK for Python only drives the classic builder. The Engine API itself builds with
BuildKit when ``POST /build`` carries ``version=2``; no BuildKit session is needed when the
build context is uploaded as a tar. Two details matter (both measured on Engine 20.10):

- the tar must be plain ustar: Python's default PAX format writes an extended header for
  every file's fractional mtime, and the engine then reads the upload as a bare Dockerfile;
- progress arrives as messages with id ``moby.buildkit.trace`` whose ``aux`` is a base64
  protobuf ``StatusResponse`` from BuildKit's ``control.proto``; the image id arrives in a
  ``moby.image.id`` message.

Vertex names such as ``[build 3/5] RUN npm ci`` name the stage and the position among the
stage's FROM/RUN/COPY/ADD/WORKDIR instructions; :func:`parse_trace` maps them back to the
Dockerfile's instruction numbers, the same numbers the classic builder's ``Step N/M`` uses.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import io
import json
import re
import tarfile
import tempfile
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import docker
from docker.utils.build import Pattern, exclude_paths
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory, timestamp_pb2

from . import labels as lbl
from .dockerfile import Instruction, Stage, numbered_instructions, parse_stages
from .errors import MultistageError, UsageError
from .results import BuildRequest, ParsedStream, Step, does_work, error_text

__all__ = [
    "IMAGE_ID",
    "NAME",
    "TRACE_ID",
    "buildkit_available",
    "context_tar",
    "decode_status",
    "parse",
    "sent_paths",
    "start",
]

NAME = "buildkit"

#: Message id of BuildKit progress in the Engine API's build stream.
TRACE_ID = "moby.buildkit.trace"
IMAGE_ID = "moby.image.id"

#: ``[stage-name N/M] INSTRUCTION ...``; single-stage Dockerfiles leave the name out.
#: BuildKit pads the step number to the width of the total: ``[build  1/12]``, ``[ 2/10]``.
_VERTEX_STEP = re.compile(r"^\[(?:(\S+) +)? *(\d+)/(\d+)\] (.*)$", re.DOTALL)
#: Instructions that become a BuildKit vertex (and count in its N/M); the rest only change config.
_VERTEX_INSTRUCTIONS = ("FROM", "RUN", "COPY", "ADD", "WORKDIR")


@lru_cache(maxsize=1)
def _status_response_class():
    """Build the ``StatusResponse`` message class from the fields of BuildKit's control.proto we read.

    Fields we do not declare (warnings, progress groups) are skipped by the protobuf decoder.
    """
    fdp = descriptor_pb2.FieldDescriptorProto
    scalar = {
        "string": fdp.TYPE_STRING,
        "bool": fdp.TYPE_BOOL,
        "int64": fdp.TYPE_INT64,
        "bytes": fdp.TYPE_BYTES,
    }
    time = ".google.protobuf.Timestamp"
    messages = {
        "StatusResponse": [
            ("vertexes", 1, "Vertex", True),
            ("statuses", 2, "VertexStatus", True),
            ("logs", 3, "VertexLog", True),
        ],
        "Vertex": [
            ("digest", 1, "string", False),
            ("inputs", 2, "string", True),
            ("name", 3, "string", False),
            ("cached", 4, "bool", False),
            ("started", 5, time, False),
            ("completed", 6, time, False),
            ("error", 7, "string", False),
        ],
        "VertexStatus": [
            ("ID", 1, "string", False),
            ("vertex", 2, "string", False),
            ("name", 3, "string", False),
            ("current", 4, "int64", False),
            ("total", 5, "int64", False),
            ("timestamp", 6, time, False),
            ("started", 7, time, False),
            ("completed", 8, time, False),
        ],
        "VertexLog": [
            ("vertex", 1, "string", False),
            ("timestamp", 2, time, False),
            ("stream", 3, "int64", False),
            ("msg", 4, "bytes", False),
        ],
    }
    proto = descriptor_pb2.FileDescriptorProto(
        name="moby/buildkit/control.proto",
        package="moby.buildkit.v1",
        syntax="proto3",
        dependency=["google/protobuf/timestamp.proto"],
    )
    for name, fields in messages.items():
        message = proto.message_type.add(name=name)
        for field_name, number, kind, repeated in fields:
            entry = message.field.add(
                name=field_name,
                number=number,
                label=fdp.LABEL_REPEATED if repeated else fdp.LABEL_OPTIONAL,
            )
            if kind in scalar:
                entry.type = scalar[kind]
            else:
                entry.type = fdp.TYPE_MESSAGE
                entry.type_name = kind if kind.startswith(".") else f".moby.buildkit.v1.{kind}"
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("moby.buildkit.v1.StatusResponse"))


def decode_status(aux: str) -> dict:
    """Decode one ``moby.buildkit.trace`` message's ``aux`` into BuildKit's status as JSON.

    The result has the shape ``docker buildx build --progress=rawjson`` prints (``vertexes``,
    ``statuses``, ``logs``; times as RFC 3339 text; log text base64), so one parser reads both.
    """
    status = _status_response_class().FromString(base64.b64decode(aux))
    return json_format.MessageToDict(status, preserving_proto_field_name=True)


def status_of(message: dict) -> dict | None:
    """BuildKit's status in one build message, from either path (Engine API trace or buildx rawjson); else None."""
    if message.get("id") == TRACE_ID:
        return decode_status(message["aux"])
    if "vertexes" in message or "statuses" in message or "logs" in message:
        return message
    return None


def sent_paths(context: Path, dockerfile: str, dockerignore: bool = True) -> list[str]:
    """The paths of ``context`` a build sends, sorted: all but what ``.dockerignore`` excludes (itself
    too, where it says so), like the docker CLI.

    Args:
        context: The build context directory.
        dockerfile: The Dockerfile's path in it (always sent, even when ignored).
        dockerignore: Apply ``.dockerignore``; ``False`` lists everything.
    """
    patterns = _patterns(context) if dockerignore else []
    sent = exclude_paths(str(context), list(patterns), dockerfile=dockerfile)
    if _excludes(patterns, ".dockerignore"):
        # docker-py's matcher always keeps it; BuildKit does not apply it to an uploaded context
        # (the patterns were applied here), and the docker CLI leaves it out of what COPY sees.
        sent.discard(".dockerignore")
    return sorted(sent)


def _patterns(context: Path) -> list[str]:
    """The context's ``.dockerignore`` patterns (none without one)."""
    ignore = context / ".dockerignore"
    if not ignore.is_file():
        return []
    lines = (line.strip() for line in ignore.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _excludes(patterns: list[str], path: str) -> bool:
    """Whether ``.dockerignore`` patterns exclude ``path``: the last pattern that matches decides, as in the CLI."""
    excluded = False
    for pattern in map(Pattern, patterns):
        if pattern.dirs and pattern.match(path):
            excluded = not pattern.exclusion
    return excluded


def context_tar(context: Path, dockerfile: str, dockerignore: bool = True) -> bytes:
    """Pack a build context as a plain ustar tar, honouring its ``.dockerignore`` like the docker CLI.

    The paths are :func:`sent_paths`'. The Dockerfile is always among them: the Engine API reads
    it from the context, where ``COPY . .`` can see it (the docker CLI with BuildKit sends it apart).

    Args:
        context: The build context directory.
        dockerfile: The Dockerfile's path in it (always sent, even when ignored).
        dockerignore: Apply ``.dockerignore``; ``False`` sends everything (to measure what it saves).

    Raises:
        MultistageError: A path does not fit the ustar format (over 255 characters).
    """
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path in sent_paths(context, dockerfile, dockerignore):
            try:
                tar.add(context / path, arcname=path, recursive=False)
            except ValueError as exc:
                raise UsageError(
                    f"{path} cannot be sent to BuildKit ({exc}); shorten the path or list it in .dockerignore."
                ) from None
    return buffer.getvalue()


def start(client: docker.DockerClient, context: Path, request: BuildRequest) -> Generator[dict, None, None]:
    """Start a BuildKit build through the Engine API and yield its decoded JSON messages.

    Closing the generator closes the connection, and the engine cancels the build.

    Raises:
        docker.errors.APIError: The engine refused the build.
    """
    params = {
        "version": "2",
        "dockerfile": request.dockerfile,
        "buildargs": json.dumps(request.build_args),
        "labels": json.dumps(request.labels),
    }
    if request.tag:
        params["t"] = request.tag
    if request.target:
        params["target"] = request.target
    if request.nocache:
        params["nocache"] = "1"
    api = client.api
    response = api._post(
        api._url("/build"),
        params=params,
        data=context_tar(context, request.dockerfile),
        headers={"Content-Type": "application/x-tar"},
        stream=True,
        timeout=None,
    )
    try:
        api._raise_for_status(response)
        yield from api._stream_helper(response, decode=True)
    finally:
        response.close()


@dataclass
class _Vertex:
    digest: str
    name: str = ""
    cached: bool = False
    started: float | None = None
    completed: float | None = None
    error: str = ""
    logs: list[str] = field(default_factory=list)
    pulled: bool = False


_STAMP = re.compile(r"(.+T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)")


def _seconds(stamp: str) -> float:
    """Seconds since the epoch of an RFC 3339 time with nanoseconds (Go's, which ``fromisoformat`` cuts short)."""
    found = _STAMP.fullmatch(stamp)
    if found is None:
        raise MultistageError(f"BuildKit sent a time this tutorial cannot read: {stamp!r}.")
    zone = "+00:00" if found[3] == "Z" else found[3]
    return dt.datetime.fromisoformat(found[1] + zone).timestamp() + float(found[2] or 0)


def _vertex_steps(text: str) -> tuple[dict[str | None, list[Instruction]], list[Stage], int]:
    """Per stage label (``name`` or ``stage-N``; ``None`` for a single stage), the instructions that become vertices.

    Their order is BuildKit's ``N`` in ``[stage N/M]``. Also returns the stages and the
    number of instructions.
    """
    numbered = numbered_instructions(text)
    stages = parse_stages(text)
    labels = [s.name or f"stage-{s.index}" for s in stages]
    by_label: dict[str | None, list[Instruction]] = {label: [] for label in labels}
    for item in numbered:
        # `FROM <earlier stage>` is no vertex: BuildKit continues from that stage's result.
        from_stage = item.keyword == "FROM" and stages[item.stage].base_stage is not None
        if item.stage >= 0 and item.keyword in _VERTEX_INSTRUCTIONS and not from_stage:
            by_label[labels[item.stage]].append(item)
    if len(stages) == 1:
        by_label[None] = by_label[labels[0]]
    return by_label, stages, len(numbered)


def parse(
    messages: Iterable[tuple[float, dict]],
    dockerfile_text: str,
    on_step: Callable[[int, int | None, str], None] | None = None,
) -> ParsedStream:
    """Read a BuildKit build stream into the same :class:`~multistage.results.ParsedStream` as the classic builder.

    Only vertices named ``[stage N/M] ...`` become steps, numbered like the classic builder's
    ``Step N/M`` (the Dockerfile's instruction order, global ``ARG`` lines included). Identical
    vertices are built once: when two stages start ``FROM`` the same image, only the first
    stage's ``FROM`` is a step. A step's ``start`` counts from the first step's start; steps
    that never started (a stage the target does not need, or work cut short by a failure) are
    not in the result.

    Args:
        messages: ``(seconds since start, decoded message)`` pairs, in arrival order.
        dockerfile_text: The Dockerfile that was built, to map vertices to instructions.
        on_step: Called with ``(steps started, steps planned, instruction)`` when a step starts;
            the number planned grows as BuildKit plans more of the build.

    Raises:
        MultistageError: The engine built with the classic builder (it ignored ``version=2``).
    """
    vertices: dict[str, _Vertex] = {}
    image_id = error = None
    log: list[str] = []
    classic_lines = traces = 0
    started_steps: set[str] = set()
    for _, message in messages:
        status = status_of(message)
        if status is not None:
            traces += 1
            _read_status(status, vertices, log, started_steps, on_step)
        elif message.get("id") == IMAGE_ID:
            image_id = message["aux"]["ID"]
        elif message.get("stream", "").startswith("Step "):
            classic_lines += 1
        if (found := error_text(message)) is not None:
            error = found
            log.append(error)
    if classic_lines and not traces:
        raise MultistageError(
            "The engine built with the classic builder although BuildKit was asked for; "
            "use builder='classic' or an engine with BuildKit (Docker 18.09 or later on Linux)."
        )
    # The vertices of Dockerfile steps that started, each with its start and its parsed name.
    ran = [
        (v, v.started, vertex_step)
        for v in vertices.values()
        if v.started is not None and (vertex_step := _VERTEX_STEP.match(v.name))
    ]
    steps, failed, total = _steps(ran, dockerfile_text)
    # Parallel stages interleave their output; the failing step's own lines explain a failure.
    # When one step fails, BuildKit cancels the steps running beside it: theirs is no cause.
    failing = [v for v, _, _ in ran if v.error]
    failing_logs = next((v.logs for v in sorted(failing, key=_canceled)), None)
    if failing_logs:
        log = failing_logs + [error or ""]
    return ParsedStream(
        steps=steps,
        image_id=None if error else image_id,
        error=error,
        log=log,
        total_steps=total,
        failed=failed,
    )


def _read_status(
    status: dict,
    vertices: dict[str, _Vertex],
    log: list[str],
    started_steps: set[str],
    on_step: Callable[[int, int | None, str], None] | None,
) -> None:
    """Fold one status message into ``vertices`` (by digest) and ``log``; call ``on_step`` for each
    Dockerfile step that starts (``started_steps`` holds the digests already announced)."""
    for v in status.get("vertexes", []):
        vertex = vertices.setdefault(v.get("digest", ""), _Vertex(v.get("digest", "")))
        vertex.name, vertex.cached = v.get("name", ""), v.get("cached", False)
        vertex.error = v.get("error") or vertex.error
        if "started" in v:
            vertex.started = _seconds(v["started"])
        if "completed" in v:
            vertex.completed = _seconds(v["completed"])
        if on_step and vertex.started is not None and (vertex_step := _VERTEX_STEP.match(vertex.name)):
            if vertex.digest not in started_steps:
                started_steps.add(vertex.digest)
                planned = sum(1 for x in vertices.values() if _VERTEX_STEP.match(x.name))
                on_step(len(started_steps), planned, vertex_step[4])
    for entry in status.get("statuses", []):
        # Download or extract entries under a FROM vertex: a pull. On the containerd image
        # store a local base is "resolve"d too, which is no pull.
        if not entry.get("id", entry.get("ID", "")).startswith("resolve "):
            vertices.setdefault(entry["vertex"], _Vertex(entry["vertex"])).pulled = True
    for entry in status.get("logs", []):
        vertex = vertices.setdefault(entry["vertex"], _Vertex(entry["vertex"]))
        text = base64.b64decode(entry.get("data") or entry.get("msg") or "")
        for line in text.decode("utf-8", "replace").splitlines():
            vertex.logs.append(line)
            log.append(f"{vertex.name.split(']')[0]}] {line}" if vertex.name else line)


def _steps(
    ran: list[tuple[_Vertex, float, re.Match[str]]], dockerfile_text: str
) -> tuple[list[Step], Step | None, int]:
    """The steps of the Dockerfile vertices that started (``ran``: vertex, start, parsed name), in
    Dockerfile order, the step that failed (a cause rather than a step BuildKit cancelled beside it)
    and the number of steps."""
    by_label, stages, total = _vertex_steps(dockerfile_text)
    origin = min((started for _, started, _ in ran), default=0.0)
    steps: list[Step] = []
    failed, failed_by_cancel = None, False
    for vertex, started, vertex_step in ran:
        label, position, in_stage, _instruction = vertex_step.groups()
        candidates = by_label.get(label, [])
        if candidates and candidates[0].keyword == "FROM" and int(in_stage) == len(candidates) - 1:
            candidates = candidates[1:]  # `FROM scratch` (also through an ARG) has no vertex of its own
        position = int(position)
        if not 0 < position <= len(candidates):
            continue  # a vertex of a Dockerfile other than the one given; nothing to map it to
        item = candidates[position - 1]
        end = vertex.completed if vertex.completed is not None else started
        # As under the classic builder, a FROM builds nothing: it counts as cached unless pulled.
        nothing_to_do = not does_work(item.keyword) and not vertex.pulled and not vertex.error
        step = Step(
            number=item.number,
            stage=item.stage,
            stage_name=stages[item.stage].name,
            instruction=item.text,
            cached=vertex.cached or nothing_to_do,
            seconds=round(max(end - started, 0.0), 4),
            start=round(started - origin, 4),
        )
        steps.append(step)
        if vertex.error and (failed is None or (failed_by_cancel and not _canceled(vertex))):
            failed, failed_by_cancel = step, _canceled(vertex)
    steps.sort(key=lambda s: (s.number, s.start))
    return steps, failed, total


def _canceled(vertex: _Vertex) -> bool:
    """Whether a vertex's error is only BuildKit cancelling it because another step failed."""
    return "canceled" in vertex.error.lower()


def buildkit_available(client: docker.DockerClient) -> tuple[bool, str]:
    """Probe whether the engine builds with BuildKit through the API: a one-line build, then removed.

    Returns:
        ``(True, detail)`` when a ``version=2`` build streamed a BuildKit trace, else ``(False, reason)``.
    """
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "Dockerfile").write_text("FROM scratch\nENV PROBE=1\n")
        image_id = None
        traces = 0
        request = BuildRequest("Dockerfile", labels=lbl.project_labels(), nocache=True)
        try:
            with contextlib.closing(start(client, Path(tmp), request)) as messages:
                for message in messages:
                    traces += message.get("id") == TRACE_ID
                    if message.get("id") == IMAGE_ID:
                        image_id = message["aux"]["ID"]
                    if (error := error_text(message)) is not None:
                        return False, f"the engine refused a BuildKit build: {error}"
        except docker.errors.APIError as exc:
            return False, f"the engine refused a BuildKit build: {exc.explanation or exc}"
        finally:
            if image_id:
                try:
                    client.images.remove(image_id, force=True)
                except docker.errors.APIError:
                    pass
    if not traces:
        return False, "the engine ignored version=2 and built with the classic builder"
    return True, "builds through the Engine API (version=2) with a BuildKit trace"
