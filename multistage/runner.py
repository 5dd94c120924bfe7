"""The main job: execute every notebook headlessly, showing which cell runs, then write an HTML report."""

from __future__ import annotations

import base64
import html
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import docker
import nbformat
import pandas as pd
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter
from tqdm.auto import tqdm
from traitlets.config import Config

from .experiments.sample_table import summary_table
from .progress import PROGRESS_FILE

__all__ = [
    "CellRun",
    "NotebookRun",
    "execute_notebook",
    "run_all",
    "write_index",
]

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "build"


@dataclass(frozen=True)
class CellRun:
    """One executed code cell: its index in the notebook, its first line, its seconds."""

    index: int
    first_line: str
    seconds: float


@dataclass
class NotebookRun:
    """One executed notebook: where its copies went, its figures, how long it took, any error."""

    name: str
    seconds: float
    html: Path
    figures: list[Path] = field(default_factory=list)
    error: str = ""
    cells: list[CellRun] = field(default_factory=list)


def execute_notebook(path: Path, out_dir: Path, timeout: int = 1800, say=print) -> NotebookRun:
    """Run ``path`` top to bottom in a fresh kernel; write the executed copy, its HTML and its PNGs.

    While it runs, a bar on the terminal names the cell and, inside it, the experiment, build
    and step the kernel's builds report (through :data:`~multistage.progress.PROGRESS_FILE`).
    Cells that take 10 s or more are also named in a line of their own, for logs.
    """
    notebook = nbformat.read(path, as_version=4)
    code = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code" and cell.source.strip()]
    cells: list[CellRun] = []
    bar = tqdm(total=len(code), desc=path.stem[:2], unit="cell", leave=False, disable=None)
    state = {"cell": None, "line": "", "started": 0.0}

    def on_start(cell, cell_index, **_):
        if cell_index in code:
            state.update(cell=cell_index, line=_first_line(cell.source), started=time.monotonic())
            bar.set_postfix_str(f"cell {code.index(cell_index) + 1}: {state['line']}")

    def on_done(cell, cell_index, **_):
        if state["cell"] != cell_index:
            return
        seconds = time.monotonic() - state["started"]
        cells.append(CellRun(cell_index, state["line"], round(seconds, 2)))
        bar.update(1)
        if seconds >= 10:
            say(
                f"  {path.stem} cell {code.index(cell_index) + 1}/{len(code)} ({seconds:.0f} s): {state['line']}"
            )
        state["cell"] = None

    started = time.monotonic()
    error = ""
    with tempfile.TemporaryDirectory(prefix="multistage-kernel-") as tmp:
        progress_file = Path(tmp) / "progress"
        os.environ[PROGRESS_FILE] = str(progress_file)  # the kernel inherits it
        stop = threading.Event()
        watcher = threading.Thread(target=_follow, args=(progress_file, bar, state, code, stop))
        watcher.start()
        try:
            NotebookClient(
                notebook,
                timeout=timeout,
                kernel_name="python3",
                # IPC sockets: a local kernel needs no TCP ports, and ipykernel then has no
                # unencrypted-TCP warning to print on every start.
                config=Config({"KernelManager": {"transport": "ipc", "ip": str(Path(tmp) / "kernel")}}),
                resources={"metadata": {"path": str(path.parent)}},
                on_cell_start=on_start,
                on_cell_executed=on_done,
            ).execute()
        except CellExecutionError as exc:
            error = str(exc).strip().splitlines()[-1] if str(exc).strip() else "a cell failed"
        finally:
            stop.set()
            watcher.join()
            os.environ.pop(PROGRESS_FILE, None)
            bar.close()
    seconds = time.monotonic() - started
    (out_dir / "notebooks").mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out_dir / "notebooks" / path.name)
    page = out_dir / "html" / (path.stem + ".html")
    page.parent.mkdir(parents=True, exist_ok=True)
    body, _ = HTMLExporter().from_notebook_node(notebook)
    page.write_text(body)
    figures = []
    (out_dir / "figures").mkdir(parents=True, exist_ok=True)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png:
                figure = out_dir / "figures" / f"{path.stem}-{len(figures) + 1}.png"
                figure.write_bytes(base64.b64decode(png))
                figures.append(figure)
    return NotebookRun(path.stem, seconds, page, figures, error, cells)


def _first_line(source: str) -> str:
    line = next((x for x in source.splitlines() if x.strip()), "")
    return line if len(line) <= 70 else line[:69] + "…"


def _follow(progress_file: Path, bar, state: dict, code: list[int], stop: threading.Event) -> None:
    """Show what the kernel's builds report (experiment · build · step) beside the running cell."""
    last = ""
    while not stop.wait(0.5):
        try:
            text = progress_file.read_text().strip()
        except OSError:
            continue
        if text and text != last and state["cell"] is not None:
            last = text
            bar.set_postfix_str(f"cell {code.index(state['cell']) + 1}: {text}")


_HEADERS = {
    "app": "App",
    "dockerfile": "Dockerfile",
    "size_mb": "Size (MB)",
    "smaller_than_single": "× smaller than one stage",
    "shell": "Shell",
    "compiler": "Compiler",
    "non_root": "Non-root",
    "health": "GET /health",
    "profile": "Base profile",
}


def write_index(runs: list[NotebookRun], table: pd.DataFrame, out_dir: Path) -> Path:
    """Write ``index.html``: the summary table, then every figure linked to its notebook's page."""
    sections = []
    for run in runs:
        status = f"<p class='error'>This notebook failed: {html.escape(run.error)}</p>" if run.error else ""
        images = "".join(
            f"<a href='html/{run.html.name}'><img src='figures/{f.name}' alt='{html.escape(run.name)} figure'></a>"
            for f in run.figures
        )
        sections.append(
            f"<h2><a href='html/{run.html.name}'>{html.escape(run.name)}</a> "
            f"<small>({run.seconds:.0f} s)</small></h2>{status}<div class='figures'>{images}</div>"
        )
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Multi-stage Docker builds — measured</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse;font-size:14px}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}
img{{max-width:520px;margin:6px;border:1px solid #ddd}}.error{{color:#b00}}</style></head><body>
<h1>Multi-stage Docker builds — what this machine measured</h1>
<p>Every number below was measured on this machine by <code>make run</code>: each notebook was
executed top to bottom, then every sample app variant was built (from the cache the notebooks
filled), smoke-tested with <code>GET /health</code> and looked into. Click a chart for its notebook.</p>
{table.rename(columns=_HEADERS).to_html(index=False, border=0)}
{"".join(sections)}
</body></html>"""
    index = out_dir / "index.html"
    index.write_text(page)
    return index


def run_all(
    client: docker.DockerClient, notebooks: list[Path] | None = None, out_dir: Path = BUILD, say=print
) -> bool:
    """Execute every notebook, then write and print the summary; return True when all notebooks ran."""
    notebooks = notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    runs = []
    for number, path in enumerate(notebooks, 1):
        say(f"[{number}/{len(notebooks)}] {path.stem}")
        runs.append(execute_notebook(path, out_dir, say=say))
        say(
            f"  {path.stem}: {runs[-1].seconds:.0f} s"
            + (f" FAILED: {runs[-1].error}" if runs[-1].error else "")
        )
    say("Measuring every sample app variant for the summary table...")
    table = summary_table(client, say=say)
    index = write_index(runs, table, out_dir)
    say("")
    say(table.to_string(index=False))
    say(f"\nReport: {index}")
    return not any(run.error for run in runs)
