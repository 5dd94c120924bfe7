"""How long `python -m multistage analyze` takes on the sample apps and fixtures, against the goal.

Usage:  python benchmarks/analyze.py

Each project is analysed twice in a row (the second run is warm: builds and layer listings
cached), with its source and dependency edits. Goal (issue 13): an app the size of the Node
sample analysed in at most 90 s warm. Nothing is asserted: the script prints the times.
"""

from __future__ import annotations

import time
from pathlib import Path

from multistage import connect
from multistage.analyze import analyze
from multistage.apps import APPS

GOAL_WARM_SECONDS = 90
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "analyze"


def main() -> None:
    client = connect()
    projects = {
        "node sample": APPS["node"].path,
        **{p.name: p for p in sorted(FIXTURES.iterdir()) if p.is_dir()},
    }
    print(f"{'project':20s} {'first (s)':>10s} {'warm (s)':>10s}  goal (warm): {GOAL_WARM_SECONDS} s")
    for name, path in projects.items():
        times = []
        for _ in range(2):
            started = time.monotonic()
            analyze(path, client=client, progress=False)
            times.append(time.monotonic() - started)
        verdict = "ok" if times[1] <= GOAL_WARM_SECONDS else "OVER"
        print(f"{name:20s} {times[0]:10.1f} {times[1]:10.1f}  {verdict}")


if __name__ == "__main__":
    main()
