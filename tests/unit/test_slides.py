"""Every notebook carries the slide rule: sections start slides, imports and solutions are left out."""

from pathlib import Path

import nbformat
import pytest

from multistage.slides import slide_types

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]-*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_slide_metadata_follows_the_rule(path):
    notebook = nbformat.read(path, as_version=4)
    written = [cell.metadata.get("slideshow", {}).get("slide_type") for cell in notebook.cells]
    assert written == slide_types(notebook), "run `python scripts/set_slide_metadata.py` and commit"
    assert written[0] == "slide" and "skip" in written, "a title slide, and the imports left out"


def test_a_solution_and_the_imports_are_left_out_and_subsections_are_subslides():
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Title"),
            nbformat.v4.new_markdown_cell("## Imports"),
            nbformat.v4.new_code_cell("import x"),
            nbformat.v4.new_markdown_cell("## Build it"),
            nbformat.v4.new_code_cell("build()"),
            nbformat.v4.new_markdown_cell("### Exercise"),
            nbformat.v4.new_markdown_cell("<details><summary>Solution</summary>\n\nanswer\n</details>"),
        ]
    )
    assert slide_types(notebook) == ["slide", "skip", "skip", "slide", "-", "subslide", "skip"]
