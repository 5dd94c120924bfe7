"""How long the tutorial takes to execute: per notebook, per cell, the slowest cells, against the goals.

Usage:
    python benchmarks/tutorial.py warm            # as they are: builds and layer listings cached
    python benchmarks/tutorial.py cold            # first removes this project's images, the layer
                                                  # cache and BuildKit's build cache (all of it:
                                                  # BuildKit's records carry no labels), keeps the bases
    python benchmarks/tutorial.py warm 03 05      # only some notebooks

Every notebook runs headlessly exactly as `make run` runs it (multistage.runner), and the
executed copies go to build/benchmark/. Nothing is asserted: the script prints the ratios.
"""

from __future__ import annotations

import argparse
import shutil
import time

from multistage.clean import clean
from multistage.contents import cache_dir
from multistage.engine import connect
from multistage.runner import BUILD, NOTEBOOKS, SLOW_CELL_SECONDS, execute_notebook

GOALS = {"notebook, warm": 60, "all notebooks, warm": 240, "make run, cold": 15 * 60}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["cold", "warm"])
    parser.add_argument("only", nargs="*", help="notebook number prefixes (default: all)")
    args = parser.parse_args()
    client = connect()
    if args.mode == "cold":
        clean(client, keep_bases=True, say=print)
        shutil.rmtree(cache_dir(), ignore_errors=True)
        pruned = client.api.prune_builds().get("SpaceReclaimed", 0)
        print(f"Cold start: layer cache emptied, BuildKit cache pruned ({pruned / 1e6:.0f} MB).")
    notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    if args.only:
        notebooks = [n for n in notebooks if n.name[:2] in args.only]
    runs = []
    started = time.monotonic()
    for path in notebooks:
        print(f"{path.stem} ...", flush=True)
        run = execute_notebook(path, BUILD / "benchmark")
        runs.append(run)
        status = f"FAILED: {run.error}" if run.error else "ok"
        print(f"{path.stem}: {run.seconds:.0f} s ({status})", flush=True)
    total = time.monotonic() - started

    print(f"\n{args.mode} run, {len(runs)} notebook(s)")
    print(f"{'notebook':40s} {'seconds':>8s}  goal (warm): {GOALS['notebook, warm']} s each")
    for run in runs:
        mark = "" if args.mode == "cold" else ("ok" if run.seconds <= GOALS["notebook, warm"] else "OVER")
        print(f"{run.name:40s} {run.seconds:8.1f}  {mark}")
    goal = GOALS["all notebooks, warm"]
    print(
        f"{'total':40s} {total:8.1f}  "
        + (f"goal {goal} s: ratio {total / goal:.2f}" if args.mode == "warm" else "")
    )
    cells = sorted(((c.seconds, run.name, c) for run in runs for c in run.cells), key=lambda x: -x[0])
    print("\nten slowest cells")
    for seconds, name, cell in cells[:10]:
        print(f"{seconds:7.1f} s  {name[:2]} cell {cell.number:>2}  {cell.first_line}")
    print("\nper cell (seconds), every notebook")
    for run in runs:
        print(f"{run.name}: " + ", ".join(f"[{c.number}] {c.seconds:.1f}" for c in run.cells))
    slow = sum(1 for seconds, _, _ in cells if seconds >= SLOW_CELL_SECONDS)
    print(f"\ncells of {SLOW_CELL_SECONDS} s or more: {slow}")
    if args.mode == "cold":
        print(
            f"cold make run goal: {GOALS['make run, cold'] / 60:.0f} min including engine install and "
            "provisioning; time `make run` on a fresh machine for that figure."
        )


if __name__ == "__main__":
    main()
