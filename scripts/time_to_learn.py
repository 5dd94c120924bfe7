"""Each notebook's "time to learn", from a reading model applied to its source; rerun after edits.

Usage: python scripts/time_to_learn.py [--check]

Nobody has timed a first-time reader here, so the line each notebook carries comes from this
model, and the README says so. The model, per notebook:

- prose (markdown outside ``<details>`` solutions) at ``PROSE_WPM`` words a minute, a pace for
  technical text read to be understood, slower than everyday reading;
- code at ``CODE_LINES_PER_MINUTE`` lines a minute (Dockerfiles and calls are read, not skimmed);
- ``OUTPUT_MINUTES`` for each code cell's output (a table, a chart, a progress line to read;
  a cell of assertions prints nothing when they hold);
- ``EXERCISE_MINUTES`` for each ``### Exercise``.

The sum is rounded up to five minutes. The notebooks' run time is not in it: the line says
when the first run adds builds. ``--check`` exits 1 when a notebook's line differs from the model.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PROSE_WPM = 150
CODE_LINES_PER_MINUTE = 15
OUTPUT_MINUTES = 0.5
EXERCISE_MINUTES = 10
LINE = re.compile(r"\*\*Time to learn:\*\* (\d+) minutes")


def minutes(path: Path) -> dict[str, float]:
    """The model's parts for one notebook, in minutes."""
    cells = json.loads(path.read_text())["cells"]
    words = code = outputs = exercises = 0
    for cell in cells:
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            prose = re.sub(r"<details>.*?</details>", "", text, flags=re.S)
            words += len(prose.split())
            exercises += len(re.findall(r"^### Exercise", text, flags=re.M))
        elif text.strip():
            code += len([line for line in text.splitlines() if line.strip()])
            outputs += not text.lstrip().startswith("assert")  # a cell of assertions prints nothing
    parts = {
        "prose": words / PROSE_WPM,
        "code": code / CODE_LINES_PER_MINUTE,
        "outputs": outputs * OUTPUT_MINUTES,
        "exercises": exercises * EXERCISE_MINUTES,
    }
    parts["total"] = 5 * math.ceil(sum(parts.values()) / 5)
    return parts


def stated(path: Path) -> int | None:
    """The minutes a notebook's Prerequisites line states."""
    found = LINE.search(path.read_text())
    return int(found.group(1)) if found else None


def main(argv: list[str]) -> int:
    wrong = []
    total = 0
    print(
        f"{'notebook':34s} {'prose':>6s} {'code':>6s} {'outputs':>8s} {'exercise':>9s} {'model':>6s} {'stated':>7s}"
    )
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        parts, said = minutes(path), stated(path)
        total += parts["total"]
        print(
            f"{path.stem:34s} {parts['prose']:6.1f} {parts['code']:6.1f} {parts['outputs']:8.1f} "
            f"{parts['exercises']:9.0f} {parts['total']:6d} {said!s:>7s}"
        )
        if said != parts["total"]:
            wrong.append(path.name)
    print(f"all notebooks: {total} minutes")
    if "--check" in argv and wrong:
        print(
            f"the stated time differs from the model in {', '.join(wrong)}: rerun without --check and update them"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
