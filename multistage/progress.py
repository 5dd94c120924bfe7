"""Live progress of builds: which experiment, which build, which step — in JupyterLab and on terminals."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextvars import ContextVar

from tqdm.auto import tqdm

__all__ = [
    "PROGRESS_FILE",
    "BuildProgress",
    "experiment",
]

#: Environment variable naming a file where each build step is announced as one line, so that
#: ``make run`` can show on the terminal what a notebook's kernel is building.
PROGRESS_FILE = "MULTISTAGE_PROGRESS_FILE"

#: The experiment a build belongs to, shown before its own name ("orderings: source first").
_EXPERIMENT: ContextVar[str] = ContextVar("experiment", default="")


@contextlib.contextmanager
def experiment(label: str) -> Iterator[None]:
    """Name the experiment the builds inside this block belong to, for their progress bars.

    Nested blocks join their labels with " · " (``orderings · source first (buildkit)``).
    """
    outer = _EXPERIMENT.get()
    token = _EXPERIMENT.set(f"{outer} · {label}" if outer else label)
    try:
        yield
    finally:
        _EXPERIMENT.reset(token)


class BuildProgress:
    """A "step N of M" bar for one build, naming the experiment, the build and the running step.

    Shown on terminals and in notebooks; silent in logs of non-interactive runs.
    """

    def __init__(self, build_name: str, enabled: bool = True):
        label = _EXPERIMENT.get()
        description = f"{label} · {build_name}" if label else build_name
        # disable=None: a bar on terminals and in notebooks, nothing in logs of non-interactive runs.
        self._description = description
        self._bar = tqdm(
            total=None, desc=description, unit="step", leave=False, disable=None if enabled else True
        )
        #: The step running now, named for error messages when the build is cut short.
        self.current: str | None = None

    def on_step(self, number: int, total: int | None, instruction: str) -> None:
        """Called by a builder's parser as each step starts."""
        self.current = instruction
        self._bar.total = total
        self._bar.n = number - 1
        self._bar.set_postfix_str(_short(instruction), refresh=False)
        self._bar.refresh()
        announce = os.environ.get(PROGRESS_FILE)
        if announce:
            with contextlib.suppress(OSError), open(announce, "w") as handle:
                handle.write(f"{self._description} · step {number}/{total or '?'}: {_short(instruction)}\n")

    def close(self) -> None:
        """Finish and remove the bar."""
        self._bar.n = self._bar.total or self._bar.n
        self._bar.close()


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
