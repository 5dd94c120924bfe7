"""Edit-and-rebuild experiments (notebooks 00, 01 and 06): which steps a typical change sends back through the builder."""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import docker
import pandas as pd

from .apps import SampleApp, copy_app, sample_app
from .build import build
from .errors import UnknownName
from .progress import experiment
from .results import BuildReport

__all__ = [
    "EDITS",
    "IGNORED_FILE",
    "ScenarioSet",
    "COMMENTS",
    "apply_edit",
    "edit_file",
    "edit_path",
    "rebuild_after_edits",
    "run_scenarios",
    "swap_lines",
]

#: Edit name -> what it touches. Every edit carries a fresh nonce, so it is new to the engine
#: on every run and the rebuild shows what a learner's own change would cost.
EDITS = {
    "no change": None,
    "source edit": "source",
    "dependency edit": "manifest",
    "ignored-file edit": "ignored",
}
#: A file every app's .dockerignore excludes (*.md).
IGNORED_FILE = "NOTES.md"


@dataclass
class ScenarioSet:
    """A baseline build and one rebuild per edit, all of the same Dockerfile."""

    app: str
    dockerfile: str
    baseline: BuildReport
    rebuilds: dict[str, BuildReport] = field(default_factory=dict)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per edit and step: edit, number, stage, stage_name, instruction, cached, seconds."""
        frames = []
        for edit, report in self.rebuilds.items():
            frame = report.to_dataframe()
            frame.insert(0, "edit", edit)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def summary(self) -> pd.DataFrame:
        """One row per edit: share of steps from cache and rebuild seconds."""
        return pd.DataFrame(
            [
                {"edit": edit, "cached_share": round(r.cached_share, 3), "seconds": r.seconds}
                for edit, r in self.rebuilds.items()
            ]
        )


def swap_lines(text: str, first: str, second: str) -> str:
    """``text`` with the lines ``first`` and ``second`` (whole lines) in each other's place.

    Raises:
        KeyError: One of them is not a line of ``text`` (the Dockerfile changed; update the call).
    """
    lines = text.splitlines()
    for line in (first, second):
        if line not in lines:
            raise UnknownName(f"`{line}` is not a line of this Dockerfile any more; update the call.")
    a, b = lines.index(first), lines.index(second)
    lines[a], lines[b] = lines[b], lines[a]
    return "\n".join(lines) + "\n"


#: How each kind of source file takes a comment, so an edit keeps it valid.
COMMENTS = {
    ".py": "# {}", ".txt": "# {}", ".toml": "# {}", ".rb": "# {}", ".go": "// {}", ".mod": "// {}",
    ".js": "// {}", ".mjs": "// {}", ".ts": "// {}", ".tsx": "// {}", ".jsx": "// {}", ".java": "// {}",
    ".rs": "// {}", ".c": "/* {} */", ".cpp": "// {}", ".css": "/* {} */", ".html": "<!-- {} -->",
    ".php": "// {}",
}  # fmt: skip


def edit_file(path: Path, nonce: str) -> None:
    """Change ``path`` the way an everyday edit would, marked with ``nonce``, keeping it valid.

    A JSON manifest gets a new description, any other file a comment in its own syntax
    (:data:`COMMENTS`; ``#`` for others); a file that does not exist is created as a note.
    """
    if not path.exists():
        path.write_text(f"Notes that never reach the image: {nonce}\n")
    elif path.suffix == ".json":
        data = json.loads(path.read_text())
        data["description"] = f"{data.get('description', '')} (edit {nonce})".strip()
        path.write_text(json.dumps(data, indent=2) + "\n")
    else:
        text = path.read_text()
        comment = COMMENTS.get(path.suffix, "# {}").format(f"edit {nonce}")
        path.write_text(text + ("" if text.endswith("\n") or not text else "\n") + comment + "\n")


def apply_edit(app: SampleApp, directory: Path, edit: str, nonce: str) -> None:
    """Change ``directory`` (a copy of ``app``) the way ``edit`` says, marked with ``nonce``.

    Raises:
        KeyError: ``edit`` is not one of :data:`EDITS`.
    """
    path = edit_path(app, edit)
    if path is not None:
        edit_file(directory / path, nonce)


def edit_path(app: SampleApp, edit: str) -> str | None:
    """The file of ``app`` that ``edit`` touches (None for "no change").

    Raises:
        KeyError: ``edit`` is not one of :data:`EDITS`.
    """
    target = EDITS[edit]
    return {None: None, "ignored": IGNORED_FILE, "source": app.source, "manifest": app.manifest}[target]


def rebuild_after_edits(
    directory: Path,
    dockerfile: str,
    edits: Mapping[str, str | None],
    client: docker.DockerClient | None = None,
    progress: bool = True,
    **build_options,
) -> dict[str, BuildReport]:
    """Rebuild ``directory`` after each edit in turn, each undone before the next.

    Args:
        directory: A build context that may be changed (a temporary copy).
        dockerfile: The Dockerfile, relative to ``directory``.
        edits: Edit name -> the file it touches, relative to ``directory`` (None: no change).
            Each gets a fresh nonce, so it is new to the engine on every run.
        client: Docker client.
        progress: Show progress.
        **build_options: Passed to :func:`~multistage.build.build` (``builder``, ``target``, ``tag``).

    Returns:
        Edit name -> the rebuild's report.
    """
    reports = {}
    for edit, relative in edits.items():
        path = directory / relative if relative else None
        # The file's bytes and times before the edit; None when the edit creates it.
        saved = (path.read_bytes(), path.stat()) if path is not None and path.exists() else None
        if path is not None:
            edit_file(path, uuid.uuid4().hex[:12])
        try:
            with experiment(edit):
                reports[edit] = build(
                    directory, dockerfile, client=client, progress=progress, **build_options
                )
        finally:
            if path is not None and saved is None:
                path.unlink()
            elif path is not None and saved is not None:
                original, times = saved
                path.write_bytes(original)
                os.utime(
                    path, ns=(times.st_atime_ns, times.st_mtime_ns)
                )  # as it was: unchanged to any builder
    return reports


def run_scenarios(
    app: str | SampleApp,
    dockerfile: str = "Dockerfile",
    edits: list[str] | None = None,
    dockerfile_text: str | None = None,
    client: docker.DockerClient | None = None,
    progress: bool = True,
    builder: str | None = None,
    without: tuple[str, ...] = (),
    target: str | None = None,
) -> ScenarioSet:
    """Copy ``app`` to a temporary directory, build it, then rebuild it after each edit.

    Each edit starts from the unedited copy (the previous edit is undone first), so every
    rebuild is compared with the same baseline.

    Args:
        app: A :class:`SampleApp` or its name.
        dockerfile: The Dockerfile to build, relative to the app.
        edits: Names from :data:`EDITS` (default: all of them, in order).
        dockerfile_text: Build this text instead of the app's Dockerfile (e.g. a reordered copy).
        client: Docker client.
        progress: Show progress bars.
        builder: ``"buildkit"`` or ``"classic"``; ``None``: the engine's default.
        without: Files to delete from the copy first (e.g. ``(".dockerignore",)``).
        target: Build only up to this stage, every time.

    Returns:
        The :class:`ScenarioSet`.
    """
    app = sample_app(app)
    edits = list(EDITS) if edits is None else edits
    with tempfile.TemporaryDirectory(prefix=f"multistage-{app.name}-") as tmp:
        copy = copy_app(app, Path(tmp))
        if dockerfile_text is not None:
            (copy / dockerfile).write_text(dockerfile_text)
        for name in without:
            (copy / name).unlink()
        with experiment("baseline"):
            baseline = build(
                copy, dockerfile, client=client, progress=progress, builder=builder, target=target
            )
        rebuilds = rebuild_after_edits(
            copy,
            dockerfile,
            {edit: edit_path(app, edit) for edit in edits},
            client=client,
            progress=progress,
            builder=builder,
            target=target,
        )
        return ScenarioSet(app.name, dockerfile, baseline, rebuilds)
