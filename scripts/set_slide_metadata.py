"""Write the slide rule (multistage.slides) into every notebook's cell metadata.

Usage:  python scripts/set_slide_metadata.py      (after adding or moving cells)
"""

from pathlib import Path

import nbformat

from multistage.slides import apply_slide_types

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
    notebook = nbformat.read(path, as_version=4)
    if apply_slide_types(notebook):
        nbformat.write(notebook, path)
        print(f"updated {path.name}")
