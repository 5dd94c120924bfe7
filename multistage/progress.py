"""Live progress of builds and image exports: which experiment, which build, which step — in JupyterLab and on terminals."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

from tqdm.auto import tqdm

from .cache import write_atomically

__all__ = [
    "PROGRESS_FILE",
    "BuildProgress",
    "ExportProgress",
    "Progress",
    "experiment",
    "shorten",
]

#: Environment variable naming a file where each build step and image export is announced as
#: one line, so that ``make run`` can show on the terminal what a notebook's kernel is doing.
PROGRESS_FILE = "MULTISTAGE_PROGRESS_FILE"

#: The experiment a build belongs to, shown before its own name ("orderings: source first").
_EXPERIMENT: ContextVar[str] = ContextVar("experiment", default="")


@contextlib.contextmanager
def experiment(label: str) -> Iterator[None]:
    """Name the experiment the builds inside this block belong to, for their progress bars.

    Nested blocks join their labels with " · " (``secret · one stage``).
    """
    outer = _EXPERIMENT.get()
    token = _EXPERIMENT.set(f"{outer} · {label}" if outer else label)
    try:
        yield
    finally:
        _EXPERIMENT.reset(token)


class Progress:
    """A bar naming the experiment and the work in it; its latest state is also announced.

    Shown on terminals and in notebooks; silent in logs of non-interactive runs, where
    ``make run`` prints the announced line instead (see :data:`PROGRESS_FILE`).
    """

    def __init__(self, name: str, unit: str, total: float | None = None, enabled: bool = True):
        label = _EXPERIMENT.get()
        self.description = f"{label} · {name}" if label else name
        # disable=None: a bar on terminals and in notebooks, nothing in logs of non-interactive runs.
        self._bar = tqdm(
            total=total,
            desc=self.description,
            unit=unit,
            unit_scale=unit == "B",
            leave=False,
            disable=None if enabled else True,
        )
        self._announced = 0.0

    def announce(self, detail: str, every: float = 0.0) -> None:
        """Write ``description · detail`` to :data:`PROGRESS_FILE`, at most once per ``every`` seconds."""
        path = os.environ.get(PROGRESS_FILE)
        if not path or time.monotonic() - self._announced < every:
            return
        self._announced = time.monotonic()
        with contextlib.suppress(OSError):
            write_atomically(Path(path), f"{self.description} · {detail}\n".encode())

    def close(self) -> None:
        """Finish and remove the bar."""
        self._bar.n = self._bar.total or self._bar.n
        self._bar.close()


class BuildProgress(Progress):
    """A "step N of M" bar for one build, naming the experiment, the build and the running step."""

    def __init__(self, build_name: str, enabled: bool = True):
        super().__init__(build_name, "step", enabled=enabled)
        #: The step running now, named for error messages when the build is cut short.
        self.current: str | None = None

    def on_step(self, number: int, total: int | None, instruction: str) -> None:
        """Called by a builder's parser as each step starts."""
        self.current = instruction
        self._bar.total = total
        self._bar.n = number - 1
        self._bar.set_postfix_str(shorten(instruction), refresh=False)
        self._bar.refresh()
        self.announce(f"step {number}/{total or '?'}: {shorten(instruction)}")


class ExportProgress(Progress):
    """Bytes of an image export (``docker save``) received so far."""

    def __init__(self, image: str, total_bytes: int):
        name = image[:19] if image.startswith("sha256:") else image
        super().__init__(f"reading the layers of {name}", "B", total_bytes)
        self._total = total_bytes
        self._received = 0

    def advance(self, received: int) -> None:
        """Count ``received`` more bytes."""
        self._received += received
        self._bar.update(received)
        self.announce(f"{self._received / 1e6:.0f} of {self._total / 1e6:.0f} MB", every=1.0)


def shorten(text: str, limit: int = 60) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis (for bars, not for tables)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
