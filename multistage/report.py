"""The main job: execute every notebook headlessly, then write an HTML report of what was measured."""

from __future__ import annotations

import base64
import html
import time
from dataclasses import dataclass, field
from pathlib import Path

import docker
import nbformat
import pandas as pd
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

__all__ = [
    "NotebookRun",
    "execute_notebook",
    "run_all",
    "summary_table",
    "write_index",
]

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "build"


@dataclass
class NotebookRun:
    """One executed notebook: where its copies went, its figures, how long it took, any error."""

    name: str
    seconds: float
    html: Path
    figures: list[Path] = field(default_factory=list)
    error: str = ""


def execute_notebook(path: Path, out_dir: Path, timeout: int = 1800) -> NotebookRun:
    """Run ``path`` top to bottom in a fresh kernel; write the executed copy, its HTML and its PNGs."""
    notebook = nbformat.read(path, as_version=4)
    started = time.monotonic()
    error = ""
    try:
        NotebookClient(
            notebook,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    except CellExecutionError as exc:
        error = str(exc).strip().splitlines()[-1] if str(exc).strip() else "a cell failed"
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
    return NotebookRun(path.stem, seconds, page, figures, error)


def summary_table(client: docker.DockerClient) -> pd.DataFrame:
    """Per app and variant: size, ratio to one stage, cache-hit share and rebuild time after a source edit."""
    from .apps import APPS, measure_variants
    from .scenarios import run_scenarios

    table = measure_variants(client, apps=["node", "go", "python"], say=lambda _: None)
    single = table[table["variant"] == "single"].set_index("app")["size_mb"]
    table["smaller_than_single"] = [
        round(single[app] / size, 1) for app, size in zip(table["app"], table["size_mb"], strict=True)
    ]
    shares, seconds = [], []
    for app, variant in zip(table["app"], table["variant"], strict=True):
        rebuild = run_scenarios(
            app, APPS[app].dockerfiles[variant], edits=["source edit"], client=client, progress=False
        ).rebuilds["source edit"]
        shares.append(round(rebuild.cached_share, 2))
        seconds.append(round(rebuild.seconds, 1))
    table["cached_after_source_edit"] = shares
    table["rebuild_s_after_source_edit"] = seconds
    return table[
        [
            "app",
            "dockerfile",
            "size_mb",
            "smaller_than_single",
            "shell",
            "compiler",
            "non_root",
            "cached_after_source_edit",
            "rebuild_s_after_source_edit",
            "profile",
        ]
    ]


_HEADERS = {
    "app": "App",
    "dockerfile": "Dockerfile",
    "size_mb": "Size (MB)",
    "smaller_than_single": "× smaller than one stage",
    "shell": "Shell",
    "compiler": "Compiler",
    "non_root": "Non-root",
    "cached_after_source_edit": "Steps cached after a source edit",
    "rebuild_s_after_source_edit": "Rebuild after a source edit (s)",
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
executed top to bottom, then every sample app variant was built, smoke-tested with
<code>GET /health</code>, and rebuilt after a source edit. Click a chart for its notebook.</p>
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
    from tqdm.auto import tqdm

    notebooks = notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    runs = []
    bar = tqdm(notebooks, desc="notebooks", unit="notebook")
    for path in bar:
        bar.set_postfix_str(path.stem)
        runs.append(execute_notebook(path, out_dir))
        say(
            f"  {path.stem}: {runs[-1].seconds:.0f} s"
            + (f" FAILED: {runs[-1].error}" if runs[-1].error else "")
        )
    say("Measuring every sample app variant for the summary table...")
    table = summary_table(client)
    index = write_index(runs, table, out_dir)
    say("")
    say(table.to_string(index=False))
    say(f"\nReport: {index}")
    return not any(run.error for run in runs)
