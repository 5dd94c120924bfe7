"""Matplotlib figures of measured builds: each titled with its finding, captioned with the bases."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Patch

from . import commands
from .dockerfile import Stage, reachable
from .edits import ScenarioSet
from .labels import LOCAL_NAMESPACE
from .results import BuildReport, amount, mb, ratio_text

__all__ = [
    "build_seconds",
    "cache_heatmap",
    "layer_breakdown",
    "rebuild_times",
    "size_comparison",
    "sizes_by_app",
    "stage_graph",
    "timeline",
]

CACHED, REBUILT, NO_WORK = "#4c9f70", "#e0833a", "#d9d9d9"


#: What every size chart's bars are (the same number on every engine and image store; README).
_SIZE_CAPTION = "size: the unpacked bytes of the image's layers; linear scale"


def _caption(fig: Figure, profile: str | None, extra: str = "") -> None:
    if profile:
        text = {
            "local": "Base images: local profile (local stand-ins built from Debian packages)",
            "official": "Base images: official profile (the document's images)",
        }.get(profile, f"Base images: {profile}")
        fig.text(
            0.01,
            0.005,
            text + (f"; {extra}" if extra else ""),
            fontsize=8,
            color="#555555",
            ha="left",
            va="bottom",
        )


def size_comparison(reports: dict[str, BuildReport], subject: str = "", profile: str | None = None) -> Figure:
    """Bar chart of image sizes, one bar per labelled build, on a linear scale (bars compare as sizes do).

    The title states how many times smaller the smallest image is than the largest. First it
    prints the ``docker image ls`` line that lists the tagged ones at a terminal.
    """
    labels = list(reports)
    tool = "podman" if any(report.builder == "buildah" for report in reports.values()) else "docker"
    tagged = [report.tags[0] for report in reports.values() if report.tags]
    if tagged:
        print("$", commands.image_ls(tool, tagged))
    sizes = np.array([mb(reports[k].size) for k in labels])
    profile = profile or next(iter(reports.values())).profile_label
    fig, ax = plt.subplots(figsize=(7, 3.6))
    bars = ax.bar(labels, sizes, color=["#8c8c8c" if s == sizes.max() else "#3b75af" for s in sizes])
    ax.set_ylabel("Image size (MB)")
    _label_bars(ax, bars, [f"{size:.1f} MB" for size in sizes], fontsize=9)
    small, large = labels[int(sizes.argmin())], labels[int(sizes.argmax())]
    ratio = sizes.max() / sizes.min()
    prefix = f"{subject}: " if subject else ""
    ax.set_title(f"{prefix}{small} image is {ratio_text(ratio)} smaller than {large}")
    ax.margins(y=0.15)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    _caption(fig, profile, _SIZE_CAPTION)
    return fig


def sizes_by_app(reports: dict[str, dict[str, BuildReport]], profile: str | None = None) -> Figure:
    """Grouped bars: for each app, one bar per variant (e.g. one stage vs multi-stage), linear scale.

    The title gives the range of "times smaller" between the first and last variant of each app.
    """
    apps = list(reports)
    variants = list(next(iter(reports.values())))
    width = 0.8 / len(variants)
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    colors = ["#8c8c8c", "#3b75af", "#4c9f70", "#e0833a"]
    for index, variant in enumerate(variants):
        sizes = [mb(reports[app][variant].size) for app in apps]
        positions = np.arange(len(apps)) + index * width
        bars = ax.bar(positions, sizes, width, label=variant, color=colors[index % len(colors)])
        _label_bars(ax, bars, [f"{size:.0f}" if size >= 10 else f"{size:.1f}" for size in sizes], fontsize=8)
    ax.set_ylabel("Image size (MB)")
    ax.set_xticks(np.arange(len(apps)) + width * (len(variants) - 1) / 2, apps)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    ratios = [reports[app][variants[0]].size / reports[app][variants[-1]].size for app in apps]
    ax.set_title(
        _capital(
            f"{variants[-1]} images are {ratio_text(min(ratios))}–{ratio_text(max(ratios))} smaller than {variants[0]}"
        )
    )
    ax.margins(y=0.2)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    _caption(
        fig,
        profile or next(iter(reports[apps[0]].values())).profile_label,
        _SIZE_CAPTION,
    )
    return fig


def build_seconds(reports: dict[str, BuildReport], subject: str = "") -> Figure:
    """Bars of build wall time; the title compares each build with the first one.

    When the first build is the longest (a cold build), each other build is given as a share
    of it ("after a source edit 83 %"); otherwise as seconds more or less than it ("classic
    +10.4 s"). Neither turns a 0.1 s build into an inflated "100× faster".
    """
    labels = list(reports)
    # The title compares the values the bars show, so a reader can redo it.
    seconds = np.array([_shown(reports[k].seconds) for k in labels])
    fig, ax = plt.subplots(figsize=(7, 3.4))
    bars = ax.bar(labels, seconds, color="#3b75af")
    _label_bars(ax, bars, [f"{_seconds_text(value)} s" for value in seconds], fontsize=9)
    ax.set_ylabel("Build time (s)")
    others = list(zip(labels[1:], seconds[1:], strict=True))
    if not others:  # one builder on this engine: nothing to compare it with
        finding = f"{labels[0]} build {_seconds_text(seconds[0])} s"
    elif seconds[0] > 0 and all(value <= seconds[0] for _, value in others):
        compared = ", ".join(f"{label} {_percent(value / seconds[0])}" for label, value in others)
        finding = f"{compared} of the {labels[0]} build's time"
    else:
        compared = ", ".join(
            f"{label} {'+' if value >= seconds[0] else '-'}{_seconds_text(abs(value - seconds[0]))} s"
            for label, value in others
        )
        finding = f"{compared} against the {labels[0]} build"
    ax.set_title(f"{subject + ': ' if subject else ''}{finding}", fontsize=10)
    ax.margins(y=0.15)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    _caption(fig, next(iter(reports.values())).profile_label, "each bar: one build's wall time")
    return fig


def _shown(seconds: float) -> float:
    """Seconds as a bar's label shows them: hundredths under one second, tenths above."""
    return round(seconds, 2) if seconds < 1 else round(seconds, 1)


def _seconds_text(seconds: float) -> str:
    return f"{seconds:.2f}" if seconds < 1 else f"{seconds:.1f}"


def _percent(share: float) -> str:
    return f"{share:.0%}" if share >= 0.1 else f"{share:.1%}"


def layer_breakdown(
    layers: pd.DataFrame, subject: str = "", profile: str | None = None, top: int = 6
) -> Figure:
    """One stacked bar: the base image's layers together, then each added layer by instruction.

    Args:
        layers: :func:`multistage.contents.layers_dataframe` output.
        subject: Image name for the title.
        profile: Base profile for the caption.
        top: Added layers shown separately; smaller ones are grouped.

    First it prints the terminal commands the table carries (``docker history``).
    """
    for command in layers.attrs.get("commands", []):
        print("$", command)
    added = layers[~layers["from_base"] & (layers["size_mb"] > 0.001)].sort_values("size_mb", ascending=False)
    parts = [("base image", layers[layers["from_base"]]["size_mb"].sum())]
    parts += [
        (_short(i, 64), s) for i, s in zip(added["instruction"][:top], added["size_mb"][:top], strict=True)
    ]
    rest = added["size_mb"][top:].sum()
    if rest > 0:
        parts.append((f"{len(added) - top} smaller layers", rest))
    total = sum(size for _, size in parts)
    fig, ax = plt.subplots(figsize=(8, 1.9 + 0.28 * len(parts)))
    left = 0.0
    colors = plt.get_cmap("tab10")
    for index, (label, size) in enumerate(parts):
        color = "#bfbfbf" if index == 0 else colors(index % 10)
        ax.barh([0], [size], left=left, color=color, label=f"{label} — {amount(size)}")
        left += size
    ax.set_yticks([])
    ax.set_xlabel("Image size (MB)")
    # Beside the bar, not under it: below, the legend would cover the axis label.
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    if len(parts) > 1:
        label, size = max(parts[1:], key=lambda p: p[1])
        finding = f"`{label}` adds {amount(size)} of {total:.1f} MB"
    else:
        finding = f"all {total:.1f} MB come from the base image"
    ax.set_title(f"{subject + ': ' if subject else ''}{finding}")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    _caption(fig, profile, "grey: the runtime base; each colour: one layer the Dockerfile added")
    return fig


def cache_heatmap(scenarios: ScenarioSet, title_edit: str = "source edit") -> Figure:
    """Steps × edits: green when the step came from the cache, orange when it ran, seconds in each cell.

    The title counts the steps that reran after ``title_edit``.
    """
    edits = list(scenarios.rebuilds)
    # One row per step any build reported: BuildKit builds a step two stages share once and may
    # report it under either stage from one build to the next, so a rebuild can report a step
    # number the baseline did not.
    reported = {s.number: s for s in scenarios.baseline.steps}
    for rebuilt in scenarios.rebuilds.values():
        for each in rebuilt.steps:
            reported.setdefault(each.number, each)
    steps = [reported[number] for number in sorted(reported)]
    codes = np.full((len(steps), len(edits)), 2.0)
    seconds = np.zeros_like(codes)
    # Rows are matched by step number: BuildKit reports only the steps it ran.
    for column, edit in enumerate(edits):
        by_number = {s.number: s for s in scenarios.rebuilds[edit].steps}
        for row, base_step in enumerate(steps):
            step = by_number.get(base_step.number)
            if step is not None and step.does_work:
                codes[row, column] = 0 if step.cached else 1
                seconds[row, column] = step.seconds
    fig, ax = plt.subplots(figsize=(4.5 + 1.4 * len(edits), 0.9 + 0.32 * len(steps)))
    ax.imshow(codes, cmap=ListedColormap([CACHED, REBUILT, NO_WORK]), vmin=0, vmax=2, aspect="auto")
    for (row, column), value in np.ndenumerate(seconds):
        if codes[row, column] != 2:
            ax.text(column, row, f"{value:.1f} s", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(edits)), edits, fontsize=9)
    ax.xaxis.tick_top()
    labels = [
        f"{'' if s.stage < 0 else f'[{s.stage_name or s.stage}] '}{_short(s.instruction, 72)}" for s in steps
    ]
    ax.set_yticks(range(len(steps)), labels, fontsize=8)
    if title_edit in edits:
        # Counted from the rebuild's own steps, as its progress line counts them.
        rebuilt = scenarios.rebuilds[title_edit]
        rerun, cached = rebuilt.work_counts()
        ax.set_title(
            f"{scenarios.app}/{scenarios.dockerfile} ({scenarios.baseline.builder}): after a {title_edit}, "
            f"{rerun} of {rerun + cached} steps ran again ({rebuilt.seconds:.1f} s)",
            fontsize=10,
        )
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    key = [
        Patch(color=CACHED, label="from the cache"),
        Patch(color=REBUILT, label="ran"),
        Patch(color=NO_WORK, label="nothing to build, or not reported"),
    ]
    ax.legend(handles=key, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    _caption(fig, scenarios.baseline.profile_label, "each cell: one step, rebuilt after the edit above it")
    return fig


def rebuild_times(scenario_sets: dict[str, ScenarioSet], edit: str = "source edit") -> Figure:
    """Rebuild seconds per edit, one group of bars per Dockerfile; the title compares ``edit``."""
    names = list(scenario_sets)
    edits = list(next(iter(scenario_sets.values())).rebuilds)
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    for index, name in enumerate(names):
        values = [_shown(scenario_sets[name].rebuilds[e].seconds) for e in edits]
        positions = np.arange(len(edits)) + index * width
        bars = ax.bar(positions, values, width, label=name)
        _label_bars(ax, bars, [_seconds_text(value) for value in values], fontsize=8)
    ax.set_xticks(np.arange(len(edits)) + width * (len(names) - 1) / 2, edits)
    ax.set_ylabel("Rebuild time (s)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    # Compare like with like: only Dockerfiles built by the same builder as the first one.
    builder = scenario_sets[names[0]].baseline.builder
    same = [name for name in names if scenario_sets[name].baseline.builder == builder]
    # Compared as the bars show them, so a reader can redo the ratio.
    times = {name: _shown(scenario_sets[name].rebuilds[edit].seconds) for name in same}
    fast, slow = min(times, key=times.__getitem__), max(times, key=times.__getitem__)
    if len(same) > 1 and times[fast] > 0:
        under = f" under {builder}" if len(same) < len(names) else ""
        ax.set_title(
            f"After a {edit}{under}, {fast} rebuilds {ratio_text(times[slow] / times[fast])} faster than {slow}",
            fontsize=10,
        )
    else:
        ax.set_title(f"Rebuild time after each edit ({names[0]})")
    ax.margins(y=0.15)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    _caption(
        fig,
        next(iter(scenario_sets.values())).baseline.profile_label,
        "each group: one edit; each bar: one Dockerfile",
    )
    return fig


def timeline(reports: dict[str, BuildReport], subject: str = "") -> Figure:
    """Gantt chart of each build's steps (one panel per build): when each step ran, coloured by stage.

    The title compares the builds' wall times; each panel's steps are drawn from their
    measured start, so steps of independent stages that overlap ran at the same time.
    """
    labels = list(reports)
    heights = [max(len(reports[k].steps), 1) for k in labels]
    fig, axes = plt.subplots(
        len(labels),
        1,
        figsize=(9, 1.2 + 0.3 * sum(heights)),
        sharex=True,
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    colors = plt.get_cmap("tab10")
    for ax, label in zip(axes[:, 0], labels, strict=True):
        report = reports[label]
        steps = report.steps
        for row, step in enumerate(steps):
            width = max(step.seconds, 0.05)
            ax.barh(
                row,
                width,
                left=step.start,
                color=colors(max(step.stage, 0) % 10),
                alpha=0.35 if step.cached else 1.0,
            )
        ax.set_yticks(range(len(steps)), [_short(s.instruction, 72) for s in steps], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(f"{label}: {report.seconds:.1f} s wall time", fontsize=9, loc="left")
        stages = {s.stage: _stage_name(s.stage_name, s.stage) for s in steps if s.stage >= 0}
        key = [Patch(color=colors(stage % 10), label=name) for stage, name in sorted(stages.items())]
        ax.legend(
            handles=key, title="stage", loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False
        )
    axes[-1, 0].set_xlabel("Seconds since the first step started")
    times = {k: round(reports[k].seconds, 1) for k in labels}  # the difference of what is printed
    fast, slow = min(times, key=times.__getitem__), max(times, key=times.__getitem__)
    if len(labels) > 1:
        finding = (
            f"{fast} finished {times[slow] - times[fast]:.1f} s sooner than {slow} "
            f"({times[fast]:.1f} s vs {times[slow]:.1f} s)"
        )
    else:
        finding = f"{fast} took {times[fast]:.1f} s"
    fig.suptitle(f"{subject + ': ' if subject else ''}{finding}", fontsize=10)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    _caption(fig, next(iter(reports.values())).profile_label, "one colour per stage; pale: from cache")
    return fig


def stage_graph(
    stages: list[Stage], target: str | None = None, title: str | None = None, report=None
) -> Figure:
    """Draw stages left to right: solid arrows for ``FROM <stage>``, dashed for ``COPY --from``.

    Without ``report``, stages the target needs are blue and the others grey (BuildKit skips
    them). With a :class:`~multistage.results.BuildReport`, blue marks the stages that build
    used (measured: a step of it ran or came from the cache), and the title names its builder
    and counts the steps that ran and those that came from the cache.
    """
    needed = reachable(stages, target) if report is None else report.stages_run
    fig, ax = plt.subplots(figsize=(max(6, 2.3 * len(stages)), 3.4))
    centres = {s.index: (2.3 * s.index, 0.0) for s in stages}
    for stage in stages:
        x, y = centres[stage.index]
        color = "#3b75af" if stage.index in needed else "#bfbfbf"
        ax.add_patch(FancyBboxPatch((x - 0.9, y - 0.45), 1.8, 0.9, boxstyle="round,pad=0.05", color=color))
        base = stage.base if stage.base_stage is None else stages[stage.base_stage].label
        name = _stage_name(stage.name, stage.index)
        ax.text(x, y + 0.12, name, ha="center", va="center", color="white", fontsize=10, weight="bold")
        shown = base.removeprefix(f"{LOCAL_NAMESPACE}/")  # the stand-in's role is in its name
        ax.text(x, y - 0.2, _short(f"FROM {shown}", 30), ha="center", va="center", color="white", fontsize=7)
    for stage in stages:
        sources = stage.copies_from + ([stage.base_stage] if stage.base_stage is not None else [])
        for source in sources:
            (x0, _), (x1, _) = centres[source], centres[stage.index]
            dashed = source in stage.copies_from
            if x1 - x0 > 2.4:
                # Past other boxes: leave and enter over the top (COPY) or under the bottom
                # (FROM), arching clear of the boxes in between.
                y = 0.5 if dashed else -0.5
                start, end, bend = (x0 + 0.3, y), (x1 - 0.3, y), (-0.35 if dashed else 0.35)
            else:
                y = 0.3 if dashed else -0.3
                start, end, bend = (x0 + 0.9, y), (x1 - 0.9, y), 0.0
            ax.annotate(
                "",
                xy=end,
                xytext=start,
                arrowprops={
                    "arrowstyle": "->",
                    "linestyle": "--" if dashed else "-",
                    "color": "#333333",
                    "connectionstyle": f"arc3,rad={bend}",
                },
            )
    ax.set_xlim(-1.2, 2.3 * (len(stages) - 1) + 1.2)
    ax.set_ylim(-1.9, 1.9)
    ax.axis("off")
    goal = target or _stage_name(stages[-1].name, stages[-1].index)
    skipped = len(stages) - len(needed)
    if report is not None:
        ran, cached = report.work_counts()
        default = (
            f"{report.builder}: building `{goal}` used {len(needed)} of {len(stages)} stages "
            f"({ran} steps ran, {cached} from the cache)"
        )
    else:
        default = f"Building `{goal}` needs {len(needed)} of {len(stages)} stages" + (
            f"; {skipped} not needed" if skipped else ""
        )
    ax.set_title(title or default, fontsize=10)
    fig.text(0.01, 0.01, "solid: FROM an earlier stage, dashed: COPY --from", fontsize=8, color="#555555")
    fig.tight_layout()
    return fig


def _label_bars(ax, bars, texts: list[str], fontsize: int = 9) -> None:
    """Write ``texts`` above ``bars``."""
    for bar, text in zip(bars, texts, strict=True):
        ax.annotate(
            text,
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=fontsize,
        )


def _stage_name(name: str | None, index: int) -> str:
    """A stage as the charts call it: its name, or ``unnamed #N`` (known only by its position)."""
    return name or f"unnamed #{index}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _short(text: str, limit: int = 48) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
