"""Read a Dockerfile's stages (names, bases, `COPY --from` edges) and draw them as a graph."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dockerfile_parse import DockerfileParser

from .errors import MultistageError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "Instruction",
    "Stage",
    "dockerfile_bases",
    "global_args",
    "instructions",
    "numbered_instructions",
    "parse_stages",
    "reachable",
    "stage_graph",
]

_FROM = re.compile(r"^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$", re.IGNORECASE)
_COPY_FROM = re.compile(r"--from=(\S+)")
_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


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
        steps: Number of instructions after its ``FROM``.
    """

    index: int
    name: str | None
    base: str
    base_stage: int | None = None
    copies_from: list[int] = field(default_factory=list)
    external_copies: list[str] = field(default_factory=list)
    steps: int = 0

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


def numbered_instructions(text: str) -> list[Instruction]:
    """A Dockerfile's instructions in order, comments dropped, continuations joined."""
    with tempfile.TemporaryDirectory() as tmp:
        parser = DockerfileParser(path=tmp)
        parser.content = text
        found = [i for i in parser.structure if i["instruction"] != "COMMENT"]
    numbered, stage = [], -1
    for number, item in enumerate(found, 1):
        keyword = item["instruction"].upper()
        stage += keyword == "FROM"
        numbered.append(Instruction(number, keyword, item["value"], item["startline"] + 1, stage))
    return numbered


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


def parse_stages(text: str, build_args: dict[str, str] | None = None) -> list[Stage]:
    """Split a Dockerfile into its stages, resolving stage references by name or index."""
    args = global_args(text)
    args.update(build_args or {})
    stages: list[Stage] = []
    by_label: dict[str, int] = {}
    for instruction, value in instructions(text):
        if instruction == "FROM":
            match = _FROM.match(value.strip())
            base = _VAR.sub(lambda m: args.get(m[1], ""), match[1]) if match else value.strip()
            stage = Stage(len(stages), match[2] if match else None, base, by_label.get(base))
            stages.append(stage)
            by_label[str(stage.index)] = stage.index
            if stage.name:
                by_label[stage.name] = stage.index
        elif stages:
            stages[-1].steps += 1
            source = _COPY_FROM.search(value) if instruction in ("COPY", "ADD") else None
            if source:
                ref = source[1]
                if ref in by_label:
                    stages[-1].copies_from.append(by_label[ref])
                else:
                    stages[-1].external_copies.append(ref)
    return stages


def dockerfile_bases(text: str, build_args: dict[str, str] | None = None) -> list[str]:
    """The images a Dockerfile's stages start from, in order (earlier stages and ``scratch`` left out)."""
    return [
        s.base for s in parse_stages(text, build_args) if s.base_stage is None and s.base.lower() != "scratch"
    ]


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
        raise MultistageError(
            f"There is no stage {target!r}; this Dockerfile has: {', '.join(s.label for s in stages)}."
        )
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


def stage_graph(
    stages: list[Stage], target: str | None = None, title: str | None = None, report=None
) -> Figure:
    """Draw stages left to right: solid arrows for ``FROM <stage>``, dashed for ``COPY --from``.

    Without ``report``, stages the target needs are blue and the others grey (BuildKit skips
    them). With a :class:`~multistage.build.BuildReport`, blue marks the stages that build
    actually ran (measured), and the title names its builder.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    needed = reachable(stages, target) if report is None else report.stages_run
    fig, ax = plt.subplots(figsize=(max(6, 2.3 * len(stages)), 2.8))
    centres = {s.index: (2.3 * s.index, 0.0) for s in stages}
    for stage in stages:
        x, y = centres[stage.index]
        color = "#3b75af" if stage.index in needed else "#bfbfbf"
        ax.add_patch(FancyBboxPatch((x - 0.9, y - 0.45), 1.8, 0.9, boxstyle="round,pad=0.05", color=color))
        base = stage.base if stage.base_stage is None else f"stage {stages[stage.base_stage].label}"
        ax.text(x, y + 0.12, stage.label, ha="center", va="center", color="white", fontsize=10, weight="bold")
        ax.text(x, y - 0.2, f"FROM {base}"[:28], ha="center", va="center", color="white", fontsize=7)
    for stage in stages:
        sources = stage.copies_from + ([stage.base_stage] if stage.base_stage is not None else [])
        for source in sources:
            (x0, _), (x1, _) = centres[source], centres[stage.index]
            dashed = source in stage.copies_from
            y = 0.3 if dashed else -0.3
            bend = (-0.25 if dashed else 0.25) if x1 - x0 > 2.4 else 0.0
            ax.annotate(
                "",
                xy=(x1 - 0.9, y),
                xytext=(x0 + 0.9, y),
                arrowprops={
                    "arrowstyle": "->",
                    "linestyle": "--" if dashed else "-",
                    "color": "#333333",
                    "connectionstyle": f"arc3,rad={bend}",
                },
            )
    ax.set_xlim(-1.2, 2.3 * (len(stages) - 1) + 1.2)
    ax.set_ylim(-1.3, 1.3)
    ax.axis("off")
    goal = target or stages[-1].label
    skipped = len(stages) - len(needed)
    if report is not None:
        default = f"{report.builder}: building `{goal}` ran {len(needed)} of {len(stages)} stages"
    else:
        default = f"Building `{goal}` needs {len(needed)} of {len(stages)} stages" + (
            f"; BuildKit skips {skipped}" if skipped else ""
        )
    ax.set_title(title or default, fontsize=10)
    fig.text(0.01, 0.01, "solid: FROM an earlier stage, dashed: COPY --from", fontsize=8, color="#555555")
    fig.tight_layout()
    return fig
