"""Live progress of builds and image exports: which experiment, which build, which step — in JupyterLab and on terminals."""

from __future__ import annotations

import contextlib
import html
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from tqdm import tqdm

from . import settings
from .cache import write_atomically
from .errors import MultistageError
from .results import mb

display: Callable[..., Any] | None
try:  # IPython comes with Jupyter; the package also works without it (scripts, make run).
    from IPython import get_ipython
    from IPython.display import display
except ImportError:  # pragma: no cover - Jupyter is in requirements.txt
    get_ipython = None
    display = None

__all__ = [
    "PROGRESS_FILE",
    "BuildProgress",
    "ExportProgress",
    "PullProgress",
    "Progress",
    "Say",
    "experiment",
    "quiet",
    "shorten",
]

#: Environment variable naming a file where each build step and image export is announced as
#: one line, so that ``make run`` can show on the terminal what a notebook's kernel is doing.
PROGRESS_FILE = settings.PROGRESS_FILE.name


#: The one channel for the sentences a long operation tells the learner as it goes ("building
#: multistage-local/go-builder:1.21", "Stopped 2 kit server(s)."): every function that takes a
#: ``say`` calls it once per sentence. ``print`` on a terminal and in a notebook, :func:`quiet` where the
#: caller reports the outcome itself. Not :mod:`logging`: these are the tutorial's output, shown in
#: the cell as the notebook's own text, not diagnostics on stderr.
Say = Callable[[str], None]


def quiet(_: str) -> None:
    """The ``say`` that says nothing: for a caller that reports the outcome itself."""


#: The experiment a build belongs to, shown before its own name ("orderings: source first").
_EXPERIMENT: ContextVar[str] = ContextVar("experiment", default="")

#: Seconds between two redraws of a notebook's progress line (the last state is always drawn).
_REDRAW_SECONDS = 0.2


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


def _in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (JupyterLab, or nbval and ``make run``'s kernels)."""
    shell = get_ipython() if get_ipython else None
    return getattr(shell, "kernel", None) is not None


class _NotebookLine:
    """One output line of a notebook cell, redrawn in place: a bar while running, one sentence when done.

    Plain text and HTML, no widget: what the notebook saves is the finished line, and it
    renders anywhere, offline too.
    """

    def __init__(self):
        self._handle = None
        self._drawn = 0.0

    def draw(self, label: str, done: float, total: float | None, detail: str) -> None:
        if time.monotonic() - self._drawn < _REDRAW_SECONDS:
            return
        self._drawn = time.monotonic()
        bar = f'<progress value="{done:g}" max="{total:g}"></progress> ' if total else ""
        text = f"{label} · {detail}" if detail else label
        self._show({"text/plain": text, "text/html": f"<code>{bar}{html.escape(text)}</code>"})

    def finish(self, sentence: str) -> None:
        shown = "<br>".join(html.escape(line) for line in sentence.splitlines())
        self._show({"text/plain": sentence, "text/html": f"<code>{shown}</code>"})

    def _show(self, bundle: dict[str, str]) -> None:
        if self._handle is None:
            if display is None:  # not reached: a notebook line is drawn only in a Jupyter kernel
                raise MultistageError("A notebook's progress line needs IPython (in requirements.txt).")
            self._handle = display(bundle, raw=True, display_id=True)
        else:
            self._handle.update(bundle, raw=True)


class Progress:
    """Shows what runs now: a bar on terminals, a line redrawn in place in notebooks; also announced.

    Silent in logs of non-interactive runs, where ``make run`` prints the announced line
    instead (see :data:`PROGRESS_FILE`). In a notebook, :meth:`close` leaves one sentence
    saying what was done, so a saved notebook shows the finished state.
    """

    def __init__(self, name: str, unit: str, total: float | None = None, enabled: bool = True):
        label = _EXPERIMENT.get()
        self.description = f"{label} · {name}" if label else name
        self._unit = unit
        self._line = _NotebookLine() if enabled and _in_notebook() else None
        # disable=None: a bar on terminals, nothing in logs of non-interactive runs.
        self._bar = tqdm(
            total=total,
            desc=self.description,
            unit=unit,
            unit_scale=unit == "B",
            leave=False,
            disable=True if self._line or not enabled else None,
        )
        self._started = time.monotonic()
        self._announced = 0.0

    def announce(self, detail: str, every: float = 0.0) -> None:
        """Write ``description · detail`` to :data:`PROGRESS_FILE`, at most once per ``every`` seconds."""
        path = settings.PROGRESS_FILE.value()
        if not path or time.monotonic() - self._announced < every:
            return
        self._announced = time.monotonic()
        with contextlib.suppress(OSError):
            write_atomically(Path(path), f"{self.description} · {detail}\n".encode())

    def _draw(self, detail: str) -> None:
        if self._line:
            self._line.draw(self.description, self._bar.n, self._bar.total, detail)

    def close(self, outcome: str = "done", command: str | None = None, seconds: float | None = None) -> None:
        """Finish the bar; in a notebook, leave ``✓ description — outcome, N s`` (``✗`` if it failed).

        Args:
            outcome: What was done, in a few words.
            command: The terminal command that does the same, shown on a second line after ``$``.
            seconds: The time to show (a build's own, as its report has it); else the bar's.
        """
        self._bar.n = self._bar.total or self._bar.n
        self._bar.close()
        if self._line:
            mark = "✗" if outcome.startswith("failed") else "✓"
            seconds = time.monotonic() - self._started if seconds is None else seconds
            said = f"{mark} {self.description} — {outcome}, {seconds:.1f} s"
            self._line.finish(said + (f"\n  $ {command}" if command else ""))


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
        detail = f"step {number}/{total or '?'}: {shorten(instruction)}"
        self._draw(detail)
        self.announce(detail)


class ExportProgress(Progress):
    """Bytes of an image export (``docker save``) received so far."""

    def __init__(self, image: str, total_bytes: int, doing: str = "reading the layers of"):
        name = image[:19] if image.startswith("sha256:") else image
        super().__init__(f"{doing} {name}", "B", total_bytes)
        self._total = total_bytes
        self._received = 0

    def advance(self, received: int) -> None:
        """Count ``received`` more bytes."""
        self._received += received
        self._bar.update(received)
        detail = f"{mb(self._received):.0f} of {mb(self._total):.0f} MB"
        self._draw(detail)
        self.announce(detail, every=1.0)


class PullProgress(Progress):
    """Bytes of one image pull: the layers' downloads summed, as ``docker pull`` shows them one per line."""

    def __init__(self, image: str):
        super().__init__(f"pulling {image}", "B", None)
        self._layers: dict[str, tuple[int, int]] = {}  # layer id -> (bytes so far, bytes in all)

    @property
    def received(self) -> int:
        """Bytes downloaded so far, over every layer."""
        return sum(done for done, _ in self._layers.values())

    @property
    def expected(self) -> int:
        """Bytes of the layers whose size the engine has announced so far."""
        return sum(total for _, total in self._layers.values())

    def on_message(self, message: dict) -> None:
        """Count one message of the engine's pull stream (``status``, ``id``, ``progressDetail``)."""
        layer, status = message.get("id"), message.get("status", "")
        detail = message.get("progressDetail") or {}
        if not layer or status.startswith("Pulling from"):
            return
        done, total = self._layers.get(layer, (0, 0))
        if status == "Downloading" and detail.get("total"):
            done, total = detail.get("current", done), detail["total"]
        elif status in ("Download complete", "Pull complete", "Already exists"):
            done = total
        self._layers[layer] = (done, total)
        received, expected = self.received, self.expected
        self._bar.total = expected or None
        self._bar.n = received
        self._bar.refresh()
        text = f"{len(self._layers)} layers, {mb(received):.0f} of {mb(expected):.0f} MB"
        self._draw(text)
        self.announce(text, every=1.0)


def shorten(text: str, limit: int = 60) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis (for bars, not for tables)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
