"""The notebooks as slides (jupyterlab-rise): which cell starts a slide, follows on it, or is left out.

One rule for every notebook, so the slides never drift from the text: the title and each ``##``
section start a slide, each ``###`` a sub-slide (RISE shows those below their slide), the Imports
section and the collapsed solutions are left out, and everything else follows on the slide it is
under. ``python scripts/set_slide_metadata.py`` writes it into the notebooks; a unit test checks it.
"""

from __future__ import annotations

import nbformat

__all__ = [
    "apply_slide_types",
    "slide_types",
]


def slide_types(notebook: nbformat.NotebookNode) -> list[str]:
    """Each cell's RISE ``slide_type``: ``slide``, ``subslide``, ``skip`` or ``-`` (continue)."""
    types = []
    skipping = False
    for cell in notebook.cells:
        first = cell.source.lstrip().split("\n", 1)[0] if cell.source.strip() else ""
        if cell.cell_type == "markdown" and first.startswith(("# ", "## ")):
            skipping = first.strip() == "## Imports"
            types.append("skip" if skipping else "slide")
        elif cell.cell_type == "markdown" and first.startswith("### "):
            skipping = False
            types.append("subslide")
        elif skipping or (cell.cell_type == "markdown" and "<summary>Solution" in cell.source):
            types.append("skip")
        else:
            types.append("-")
    return types


def apply_slide_types(notebook: nbformat.NotebookNode) -> bool:
    """Write :func:`slide_types` into each cell's metadata; True when anything changed."""
    changed = False
    for cell, kind in zip(notebook.cells, slide_types(notebook), strict=True):
        if cell.metadata.get("slideshow", {}).get("slide_type") != kind:
            cell.metadata["slideshow"] = {"slide_type": kind}
            changed = True
    return changed
