"""The main job: execute every notebook headlessly, showing which cell runs, then write an HTML report."""

from __future__ import annotations

import base64
import html
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import docker
import nbformat
import pandas as pd
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbconvert import HTMLExporter
from tqdm import tqdm
from traitlets.config import Config

from .claims import CLAIMS_FILE, HOLDS, HOLDS_PARTLY, NOT_HOLDS, Claim, read_claims
from .experiments.sample_table import summary_table
from .pages import offline_page
from .progress import PROGRESS_FILE, Say, shorten

__all__ = [
    "BUILD",
    "NOTEBOOKS",
    "ROOT",
    "SLOW_CELL_SECONDS",
    "CellRun",
    "NotebookRun",
    "execute_notebook",
    "run_all",
    "write_index",
]

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "build"
#: nbconvert templates of the executed notebooks' pages.
TEMPLATES = Path(__file__).resolve().parent / "templates"


#: Terminal colour codes, as tracebacks from a kernel carry them.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

#: A cell that runs this long is named in ``make run``'s output (the "no silent waits" line).
SLOW_CELL_SECONDS = 10


@dataclass(frozen=True)
class CellRun:
    """One executed code cell: its number among the notebook's code cells (from 1), its first line, its seconds."""

    number: int
    first_line: str
    seconds: float


@dataclass(frozen=True)
class FigureOut:
    """A chart a notebook drew, and the section it belongs to (the chart's own caption says how to read it)."""

    path: Path
    section: str


@dataclass
class NotebookRun:
    """One executed notebook: where its copies went, its figures, how long it took, any error."""

    name: str
    seconds: float
    html: Path
    figures: list[FigureOut] = field(default_factory=list)
    error: str = ""
    cells: list[CellRun] = field(default_factory=list)


@dataclass(frozen=True)
class _Running:
    """The cell running now, replaced as a whole so the watcher thread never sees half of it."""

    number: int
    of: int
    line: str
    started: float

    @property
    def where(self) -> str:
        return f"cell {self.number}/{self.of}"


def _offline_exporter() -> HTMLExporter:
    """nbconvert's HTML exporter with a template that loads nothing from the network."""
    return HTMLExporter(extra_template_paths=[str(TEMPLATES)], template_file="offline.html.j2")


def execute_notebook(path: Path, out_dir: Path, timeout: int = 1800, say: Say = print) -> NotebookRun:
    """Run ``path`` top to bottom in a fresh kernel; write the executed copy, its HTML and its PNGs.

    While it runs, a bar on the terminal names the cell and, inside it, the experiment, build
    and step the kernel reports (through :data:`~multistage.progress.PROGRESS_FILE`). Without
    a terminal (a log), a cell still running after :data:`SLOW_CELL_SECONDS` is named with
    what it is doing, and again every 20 s; every such cell is named with its time when done.
    """
    notebook = nbformat.read(path, as_version=4)
    code = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code" and cell.source.strip()]
    cells: list[CellRun] = []
    bar = tqdm(total=len(code), desc=path.stem[:2], unit="cell", leave=False, disable=None)
    running: list[_Running | None] = [None]  # one slot, swapped whole

    started = time.monotonic()
    error = ""
    with tempfile.TemporaryDirectory(prefix="multistage-kernel-") as tmp:
        progress_file = Path(tmp) / "progress"

        def on_start(cell, cell_index, **_):
            if cell_index in code:
                progress_file.write_text("")  # what the previous cell did is no longer news
                now = _Running(
                    code.index(cell_index) + 1, len(code), _first_line(cell.source), time.monotonic()
                )
                running[0] = now
                bar.set_postfix_str(f"{now.where}: {now.line}")

        def on_done(cell, cell_index, **_):
            now = running[0]
            if now is None or code.index(cell_index) + 1 != now.number:
                return
            running[0] = None
            seconds = time.monotonic() - now.started
            cells.append(CellRun(now.number, now.line, round(seconds, 2)))
            bar.update(1)
            if seconds >= SLOW_CELL_SECONDS:
                say(f"  {path.stem} {now.where} ({seconds:.0f} s): {now.line}")

        os.environ[PROGRESS_FILE] = str(progress_file)  # the kernel inherits it
        stop = threading.Event()
        watcher = threading.Thread(
            target=_follow, args=(progress_file, bar, running, stop, say, path.stem), daemon=True
        )
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
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
            text = _ANSI.sub("", str(exc)).strip()  # nbclient keeps the traceback's terminal colours
            error = text.splitlines()[-1] if text else type(exc).__name__
        finally:
            stop.set()
            watcher.join()
            os.environ.pop(PROGRESS_FILE, None)
            bar.close()
    seconds = time.monotonic() - started
    page, figures = _write_outputs(notebook, path.stem, out_dir)
    return NotebookRun(path.stem, seconds, page, figures, error, cells)


def _write_outputs(notebook: nbformat.NotebookNode, stem: str, out_dir: Path) -> tuple[Path, list[FigureOut]]:
    """Write an executed notebook, its offline HTML page and its charts as PNGs under ``out_dir``."""
    (out_dir / "notebooks").mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out_dir / "notebooks" / f"{stem}.ipynb")
    page = out_dir / "html" / f"{stem}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    body, _ = _offline_exporter().from_notebook_node(notebook)
    page.write_text(body)
    figures: list[FigureOut] = []
    (out_dir / "figures").mkdir(parents=True, exist_ok=True)
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png:
                figure = out_dir / "figures" / f"{stem}-{len(figures) + 1}.png"
                figure.write_bytes(base64.b64decode(png))
                figures.append(FigureOut(figure, _section_of(notebook.cells, index)))
    return page, figures


def _section_of(cells, index: int) -> str:
    """The heading of the notebook section ``cells[index]`` sits in: what its chart belongs to."""
    for cell in reversed(cells[: index + 1]):
        if cell.cell_type == "markdown":
            headings, fenced = [], False
            for line in cell.source.splitlines():
                fenced ^= line.lstrip().startswith("```")  # a Dockerfile's `# comment` is no heading
                if line.startswith("#") and not fenced:
                    headings.append(line.lstrip("#").strip())
            if headings:
                return headings[-1]
    return ""


def _first_line(source: str) -> str:
    return shorten(next((x for x in source.splitlines() if x.strip()), ""), 70)


def _follow(progress_file: Path, bar, running: list, stop: threading.Event, say: Say, name: str) -> None:
    """Show what the kernel reports (experiment · build · step) beside the running cell.

    On a terminal the bar shows it; in a log (no bar), a cell running :data:`SLOW_CELL_SECONDS`
    or more gets a line every 20 s naming the cell and what it is doing.
    """
    last_text, seen, next_line = "", None, 0.0
    while not stop.wait(0.5):
        now = running[0]
        if now is None:
            continue
        if now is not seen:
            seen, next_line, last_text = now, now.started + SLOW_CELL_SECONDS, ""
        try:
            text = progress_file.read_text().strip()
        except OSError:
            text = ""
        if text and text != last_text:
            last_text = text
            bar.set_postfix_str(f"{now.where}: {text}")
        if bar.disable and time.monotonic() >= next_line:
            next_line += 20
            elapsed = time.monotonic() - now.started
            say(
                f"  {name} {now.where} running for {elapsed:.0f} s: {now.line}"
                + (f" — {text}" if text else "")
            )


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


def write_index(runs: list[NotebookRun], table: pd.DataFrame, claims: list[Claim], out_dir: Path) -> Path:
    """Write ``index.html``: the claims judged, the summary table, then every chart with what to read from it.

    The page loads nothing from the network: the charts are PNG files beside it.
    """
    verdict_class = {HOLDS: "holds", HOLDS_PARTLY: "partly", NOT_HOLDS: "not"}
    claim_rows = "".join(
        f"<tr><td>{html.escape(c.claim)}</td><td class='{verdict_class.get(c.verdict, '')}'>{html.escape(c.verdict)}</td>"
        f"<td>{_inline_code(c.evidence)}</td>"
        f"<td><a href='html/{c.notebook}.html#{html.escape(c.section.replace('`', '').replace(' ', '-'))}'>{html.escape(c.notebook[:2])}: "
        f"{html.escape(c.section)}</a></td></tr>"
        for c in claims
    )
    claims_table = (
        "<table class='claims'><tr><th>The document says</th><th>On this machine</th><th>Measured</th>"
        f"<th>Where</th></tr>{claim_rows}</table>"
        if claims
        else "<p class='error'>No claims were judged: notebooks 00 and 06 did not run to their verdicts.</p>"
    )
    sections = []
    for run in runs:
        status = f"<p class='error'>This notebook failed: {html.escape(run.error)}</p>" if run.error else ""
        figures = "".join(
            f"<figure><a href='html/{run.html.name}'><img src='figures/{f.path.name}' "
            f"alt='{html.escape(run.name)} chart'></a><figcaption>{_inline_code(f.section)}</figcaption></figure>"
            for f in run.figures
        )
        sections.append(
            f"<h2><a href='html/{run.html.name}'>{html.escape(run.name)}</a> "
            f"<small>({run.seconds:.0f} s)</small></h2>{status}{figures}"
        )
    page = offline_page(
        "Multi-stage Docker builds — measured",
        f"""<h1>Multi-stage Docker builds — what this machine measured</h1>
<p>Every number below was measured on this machine by <code>make run</code>: each notebook was
executed top to bottom, then every sample app variant was built (mostly from the cache the
notebooks filled), smoke-tested with <code>GET /health</code> and looked into.</p>
<h2>The document's claims, judged</h2>
{claims_table}
<h2>Every sample app variant</h2>
{table.rename(columns=_HEADERS).to_html(index=False, border=0, classes="summary")}
{"".join(sections)}""",
    )
    index = out_dir / "index.html"
    index.write_text(page)
    return index


def _inline_code(text: str) -> str:
    """``text`` escaped for HTML, with Markdown's `code` spans kept as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def run_all(
    client: docker.DockerClient, notebooks: list[Path] | None = None, out_dir: Path = BUILD, say: Say = print
) -> bool:
    """Execute every notebook, then write and print the summary; return True when all notebooks ran."""
    notebooks = notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    out_dir.mkdir(parents=True, exist_ok=True)
    claims_file = out_dir / "claims.jsonl"
    claims_file.unlink(missing_ok=True)
    os.environ[CLAIMS_FILE] = str(claims_file)  # the kernels inherit it; 00 and 06 append their verdicts
    runs = []
    try:
        for number, path in enumerate(notebooks, 1):
            say(f"[{number}/{len(notebooks)}] {path.stem}")
            runs.append(execute_notebook(path, out_dir, say=say))
            say(
                f"  {path.stem}: {runs[-1].seconds:.0f} s"
                + (f" FAILED: {runs[-1].error}" if runs[-1].error else "")
            )
    finally:
        os.environ.pop(CLAIMS_FILE, None)
    say("Measuring every sample app variant for the summary table...")
    table = summary_table(client, say=say)
    claims = read_claims(claims_file)
    index = write_index(runs, table, claims, out_dir)
    say("")
    say(table.to_string(index=False))
    say("\nThe document's claims, judged on this machine:")
    for claim in claims:
        say(f"  {claim.verdict:13s}  {claim.claim}: {claim.evidence}")
    say(f"\nReport: {index}")
    return not any(run.error for run in runs)
