"""The one Dockerfile parser: instructions numbered like the builders number them, stages, their edges."""

from __future__ import annotations

import difflib
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from dockerfile_parse import DockerfileParser

from .errors import DockerfileError, UnknownName

__all__ = [
    "Instruction",
    "Listing",
    "INSTRUCTIONS",
    "Stage",
    "check_instructions",
    "copies_by_position",
    "copy_source",
    "from_parts",
    "global_args",
    "has_heredocs",
    "image_bases",
    "instructions",
    "listing",
    "numbered_instructions",
    "parse_stages",
    "reachable",
    "read_dockerfile",
    "stage_list",
    "substitute",
    "without_cache_mounts",
]

_FROM = re.compile(r"^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$", re.IGNORECASE)
_COPY_FROM = re.compile(r"--from=(\S+)")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")
#: One ``--mount=type=cache,…`` option of a ``RUN``, with the space or line continuation after it.
_CACHE_MOUNT = re.compile(r"--mount=(?=\S*\btype=cache\b)\S*(?:\s*\\\n)?[ \t]*")


def read_dockerfile(path: Path) -> str:
    """Read a Dockerfile as UTF-8 text.

    Raises:
        MultistageError: The file is not UTF-8; the message names the file and the byte offset.
    """
    try:
        return Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DockerfileError(
            f"{path} is not UTF-8 text (byte {exc.start} is 0x{exc.object[exc.start]:02x}); "
            "save it as UTF-8 and build again."
        ) from None


@dataclass(frozen=True)
class Listing:
    """A Dockerfile as a notebook shows it right before building it: whole, or as a diff.

    Attributes:
        title: What is shown (a file name, or "old → new").
        text: The Dockerfile, or a unified diff of it against the one before.
        is_diff: ``text`` is a diff.
    """

    title: str
    text: str
    is_diff: bool = False

    def __str__(self) -> str:
        return f"{self.title}\n{self.text}"

    def _repr_markdown_(self) -> str:
        fence = "diff" if self.is_diff else "dockerfile"
        return f"**{self.title}**\n\n```{fence}\n{self.text.rstrip()}\n```\n"


def listing(
    text: str, title: str = "Dockerfile", against: str | None = None, before: str = "before"
) -> Listing:
    """``text`` to show whole, or — with ``against`` — only what differs from that Dockerfile.

    Args:
        text: The Dockerfile about to be built.
        title: Its name.
        against: The Dockerfile shown before it; the listing is then a unified diff.
        before: That Dockerfile's name.
    """
    if against is None:
        return Listing(title, text)
    diff = difflib.unified_diff(
        against.splitlines(), text.splitlines(), fromfile=before, tofile=title, lineterm="", n=1
    )
    return Listing(f"{before} → {title}", "\n".join(diff) or "(no difference)", is_diff=True)


def from_parts(value: str) -> tuple[str, str | None]:
    """``(image or stage, AS name or None)`` of a ``FROM`` line's value (``--platform`` skipped)."""
    match = _FROM.match(value.strip())
    return (match[1], match[2]) if match else (value.strip(), None)


def copy_source(value: str) -> str | None:
    """The ``--from=`` of a ``COPY``/``ADD`` value, or ``None``."""
    found = _COPY_FROM.search(value)
    return found[1] if found else None


@dataclass
class Stage:
    """One ``FROM`` section of a Dockerfile.

    Attributes:
        index: Position, from 0.
        name: The ``AS`` name, or ``None``.
        base: The image or earlier stage it starts from, with global ARGs substituted.
        base_stage: Index of the earlier stage it starts from, or ``None`` for an image.
        copies_from: Indexes of earlier stages it copies files from (``COPY --from``).
        external_copies: Images it copies from directly (``COPY --from=image``).
        from_line: Its ``FROM`` line as written, to name an unnamed stage.
    """

    index: int
    name: str | None
    base: str
    base_stage: int | None = None
    copies_from: list[int] = field(default_factory=list)
    external_copies: list[str] = field(default_factory=list)
    from_line: str = ""

    @property
    def label(self) -> str:
        """``name`` if the stage has one, else its index (what ``COPY --from`` would say)."""
        return self.name or str(self.index)


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction, numbered like the classic builder's ``Step N/M`` (from 1).

    Attributes:
        number: Position among the instructions, global ``ARG`` lines included.
        keyword: ``FROM``, ``RUN``, ... upper-case.
        value: Everything after the keyword, continuation lines joined.
        line: The line it starts on, from 1.
        stage: Index of the stage it belongs to (its ``FROM`` included); -1 for global ``ARG``s.
    """

    number: int
    keyword: str
    value: str
    line: int
    stage: int

    @property
    def text(self) -> str:
        """``KEYWORD value``, as the classic builder prints it in a step header."""
        return f"{self.keyword} {self.value}"


#: A heredoc's opening (``<<EOF``, ``<<-EOF``, ``<<"EOF"``) on a RUN, COPY or ADD line.
_HEREDOC_OPEN = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_HEREDOC_LINE = re.compile(r"\s*(RUN|COPY|ADD)\b", re.IGNORECASE)


def _fold_heredocs(text: str) -> tuple[str, dict[int, str]]:
    """Blank out heredoc bodies (``RUN <<EOF`` … ``EOF``), keeping line numbers.

    Returns:
        The text without the bodies, and for each line that opens heredocs (0-based) the
        bodies with their closing words, to put back into that instruction's value.
    """
    lines = text.splitlines()
    kept: list[str] = []
    bodies: dict[int, str] = {}
    index = 0
    opened: int | None = None  # the first line of the RUN/COPY/ADD being read, while it continues
    continuing = False
    while index < len(lines):
        line = lines[index]
        kept.append(line)
        if not continuing:
            opened = index if _HEREDOC_LINE.match(line) else None
        if not (continuing and (not line.strip() or line.lstrip().startswith("#"))):
            continuing = line.rstrip().endswith("\\")
        index += 1
        if opened is None:
            continue
        # A heredoc may open on any line of the instruction (``RUN --mount=… \`` then ``… <<EOT``).
        for found in _HEREDOC_OPEN.finditer(line):
            dash, word = found[1], found[3]
            body = []
            while index < len(lines) and (lines[index].lstrip("\t") if dash else lines[index]) != word:
                body.append(lines[index])
                kept.append("")
                index += 1
            if index < len(lines):
                kept.append("")
                index += 1
            bodies[opened] = bodies.get(opened, "") + "\n" + "\n".join([*body, word])
    return "\n".join(kept) + "\n", bodies


def copies_by_position(text: str) -> list[Instruction]:
    """The ``COPY``/``ADD`` instructions that name their source stage by position (``--from=0``),
    which moves when a stage is inserted above it."""
    return [
        item
        for item in numbered_instructions(text)
        if item.keyword in ("COPY", "ADD") and (copy_source(item.value) or "").isdigit()
    ]


def has_heredocs(text: str) -> bool:
    """Whether a ``RUN``, ``COPY`` or ``ADD`` opens a heredoc (``<<EOF``), on any of its lines."""
    return bool(_fold_heredocs(text)[1])


def numbered_instructions(text: str) -> list[Instruction]:
    """A Dockerfile's instructions in order, comments dropped, continuations joined, heredocs kept whole."""
    folded, bodies = _fold_heredocs(text)
    with tempfile.TemporaryDirectory() as tmp:
        parser = DockerfileParser(path=tmp)
        parser.content = folded
        found = [i for i in parser.structure if i["instruction"] != "COMMENT"]
    numbered, stage = [], -1
    for number, item in enumerate(found, 1):
        keyword = item["instruction"].upper()
        stage += keyword == "FROM"
        value = item["value"] + bodies.get(item["startline"], "")
        numbered.append(Instruction(number, keyword, value, item["startline"] + 1, stage))
    return numbered


#: Every instruction a Dockerfile may use.
INSTRUCTIONS = (
    "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
    "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
)  # fmt: skip


def check_instructions(text: str, name: str = "Dockerfile") -> None:
    """Refuse, in one sentence, a Dockerfile the builders would refuse to parse.

    Raises:
        MultistageError: An instruction is unknown (with the closest real one), or there is no ``FROM``.
    """
    found = numbered_instructions(text)
    for item in found:
        if item.keyword not in INSTRUCTIONS:
            close = difflib.get_close_matches(item.keyword, INSTRUCTIONS, n=1)
            hint = (
                f"did you mean {close[0]}?" if close else f"the instructions are {', '.join(INSTRUCTIONS)}."
            )
            raise DockerfileError(
                f"{name} line {item.line}: `{item.keyword}` is not a Dockerfile instruction; {hint}"
            )
    if not any(item.keyword == "FROM" for item in found):
        raise DockerfileError(
            f"{name} has no FROM line; a Dockerfile starts its first stage with `FROM <image>`."
        )


def instructions(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, value)`` pairs of a Dockerfile, comments dropped, continuations joined."""
    return [(i.keyword, i.value) for i in numbered_instructions(text)]


def global_args(text: str) -> dict[str, str]:
    """Return the ``ARG`` names and defaults declared before a Dockerfile's first ``FROM``."""
    found: dict[str, str] = {}
    for instruction, value in instructions(text):
        if instruction == "FROM":
            break
        if instruction == "ARG":
            name, _, default = value.strip().partition("=")
            found[name.strip()] = default.strip().strip("\"'")
    return found


def substitute(value: str, args: dict[str, str], keep_unknown: bool = False) -> str:
    """``value`` with each ``$NAME`` or ``${NAME}`` replaced by its value in ``args``, as a builder
    fills a ``FROM`` line from ``ARG``s, and ``${NAME:-word}``, ``${NAME:+word}`` (and ``-``/``+``
    without the colon) as the Dockerfile reference defines them. A name without a value becomes
    empty, or with ``keep_unknown`` stays as written (to see what a reference still depends on)."""

    def fill(m: re.Match) -> str:
        name, operator, word = m[1] or m[4], m[2], m[3] or ""
        present = name in args if operator in ("-", "+") else bool(args.get(name))
        if operator and operator.endswith("-"):
            return args[name] if present else word
        if operator:  # "+" or ":+"
            return word if present else ("" if name in args or not keep_unknown else m[0])
        return args.get(name) or (m[0] if keep_unknown else "")

    return _VAR.sub(fill, value)


def parse_stages(text: str, build_args: dict[str, str] | None = None) -> list[Stage]:
    """Split a Dockerfile into its stages, resolving stage references by name or index."""
    args = global_args(text)
    args.update(build_args or {})
    stages: list[Stage] = []
    by_label: dict[str, int] = {}
    for instruction, value in instructions(text):
        if instruction == "FROM":
            image, name = from_parts(value)
            base = substitute(image, args)
            stage = Stage(len(stages), name, base, by_label.get(base), from_line=f"FROM {value.strip()}")
            stages.append(stage)
            by_label[str(stage.index)] = stage.index
            if stage.name:
                by_label[stage.name] = stage.index
        elif stages and instruction in ("COPY", "ADD"):
            ref = copy_source(value)
            if ref is None:
                continue
            if ref in by_label:
                stages[-1].copies_from.append(by_label[ref])
            else:
                stages[-1].external_copies.append(ref)
    return stages


def stage_list(stages: list[Stage]) -> str:
    """``builder, 1 (FROM alpine)``: names as they are, unnamed stages by index and FROM line."""
    return ", ".join(s.name or f"{s.index} ({s.from_line})" for s in stages)


def image_bases(stages: list[Stage]) -> list[str]:
    """The images ``stages`` start from, in order (earlier stages and ``scratch`` left out)."""
    return [s.base for s in stages if s.base_stage is None and s.base.lower() != "scratch"]


def reachable(stages: list[Stage], target: str | None = None) -> set[int]:
    """Indexes of the stages a build of ``target`` (default: the last stage) depends on, itself included.

    BuildKit builds exactly these; the classic builder builds every stage up to the target.

    Raises:
        MultistageError: ``target`` names no stage; the message lists the stages that exist.
    """
    labels = {s.label: s.index for s in stages}
    if target is None:
        start = len(stages) - 1
    elif target in labels:
        start = labels[target]
    else:
        raise UnknownName(f"There is no stage {target!r}; this Dockerfile has: {stage_list(stages)}.")
    seen: set[int] = set()
    todo = [start]
    while todo:
        index = todo.pop()
        if index in seen:
            continue
        seen.add(index)
        stage = stages[index]
        todo.extend(stage.copies_from)
        if stage.base_stage is not None:
            todo.append(stage.base_stage)
    return seen


def without_cache_mounts(text: str) -> str:
    """``text`` with every ``RUN --mount=type=cache,…`` option removed, for a builder that refuses them.

    A cache mount changes how fast a step reruns, never what it leaves in the image.
    """
    return _CACHE_MOUNT.sub("", text)
