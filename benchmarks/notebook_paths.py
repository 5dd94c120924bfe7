"""Which of the package's engine-facing lines each notebook reaches, and the fewest notebooks that reach them all.

Usage:
    python benchmarks/notebook_paths.py            # every notebook, on the engine DOCKER_HOST names
    python benchmarks/notebook_paths.py 00 07      # some of them

`make test-engines` runs a subset of the notebooks on each further engine and room; this script is
the measurement behind the choice (``tests/integration/notebook_sets.py``).
Each notebook runs top to bottom, as `make run` runs it, with coverage.py recording in its kernel
(``COVERAGE_PROCESS_START``, started from a ``sitecustomize`` on the kernel's ``PYTHONPATH``).
"Engine-facing" means a line of a module that calls the engine itself, through the Engine API
(``client.api``, ``client.images``, ...) or the docker CLI: the builders, the listings and contents,
the containers, provisioning, ``analyze``. Modules above them (the apps, the edits, the experiments,
the exercise checkers, the charts) reach the engine only through these, so what differs from one
engine to another is in these lines. The lines each notebook reached are kept in
``build/notebook-paths/`` (``--saved`` reads them again without running anything). The script prints, for
each notebook, the engine-facing lines it reaches and how many of them no other notebook reaches,
then the smallest set found greedily that reaches every line any notebook reaches. Lines depend on
the engine and builder in use (the builder modules most), so run it on the engine in question.
Nothing is asserted: the script prints the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import coverage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from multistage.progress import quiet  # noqa: E402
from multistage.runner import NOTEBOOKS, execute_notebook  # noqa: E402

PACKAGE = ROOT / "multistage"
SAVED = ROOT / "build" / "notebook-paths"
#: A call to the engine: the Docker SDK's client, or the docker CLI in a subprocess.
ENGINE_CALL = re.compile(
    r"client\.(api|images|containers|ping|version|info|volumes|networks)\b|\[\s*\"docker\",|DOCKER_CLI"
)


def engine_facing() -> list[str]:
    """The package's modules (paths relative to it) that call the engine themselves."""
    return sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if ENGINE_CALL.search(path.read_text())
    )


def lines_reached(notebook: Path, work: Path) -> dict[str, list[int]]:
    """Run ``notebook`` under coverage in its kernel; the package's lines it reached, by module."""
    data = work / f"{notebook.stem}.coverage"
    rc = work / "coveragerc"
    rc.write_text(f"[run]\nsource = multistage\ndata_file = {data}\nparallel = true\n")
    (work / "sitecustomize.py").write_text("import coverage\ncoverage.process_startup()\n")
    saved = {name: os.environ.get(name) for name in ("COVERAGE_PROCESS_START", "PYTHONPATH")}
    os.environ["COVERAGE_PROCESS_START"] = str(rc)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(work), saved["PYTHONPATH"]]))
    try:
        run = execute_notebook(notebook, work / "out", say=quiet)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    if run.error:
        print(f"  {notebook.stem} failed ({run.error}); its lines are those reached before the failure")
    combined = coverage.Coverage(data_file=str(data))
    combined.combine(data_paths=[str(work)], strict=True)
    measured = combined.get_data()
    reached = {
        Path(filename).relative_to(PACKAGE).as_posix(): sorted(measured.lines(filename) or ())
        for filename in measured.measured_files()
        if Path(filename).is_relative_to(PACKAGE)
    }
    for leftover in work.glob("*.coverage*"):
        leftover.unlink()
    return reached


def smallest_cover(reached: dict[str, set[tuple[str, int]]]) -> list[str]:
    """Notebooks, picked greedily (most new lines first), until every line any of them reaches is reached."""
    left = set().union(*reached.values())
    chosen: list[str] = []
    while left:
        best = max(reached, key=lambda name: len(reached[name] & left))
        chosen.append(best)
        left -= reached[best]
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prefixes", nargs="*", help="notebook numbers (default: every notebook)")
    parser.add_argument("--saved", action="store_true", help=f"read the lines kept in {SAVED} instead")
    args = parser.parse_args()
    notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    if args.prefixes:
        notebooks = [nb for nb in notebooks if nb.name[:2] in args.prefixes]
    SAVED.mkdir(parents=True, exist_ok=True)
    if not args.saved:
        with tempfile.TemporaryDirectory(prefix="multistage-paths-") as tmp:
            for notebook in notebooks:
                print(f"running {notebook.name} under coverage...", flush=True)
                lines = lines_reached(notebook, Path(tmp))
                (SAVED / f"{notebook.stem}.json").write_text(json.dumps(lines))
    wanted = set(engine_facing())
    reached: dict[str, set[tuple[str, int]]] = {}
    for notebook in notebooks:
        lines = json.loads((SAVED / f"{notebook.stem}.json").read_text())
        reached[notebook.name[:2]] = {(m, n) for m, ns in lines.items() if m in wanted for n in ns}
    union = set().union(*reached.values())
    print(f"\n{len(union)} engine-facing lines reached by the notebooks, in {', '.join(sorted(wanted))}")
    print(f"{'notebook':<10}{'lines':>7}{'only it':>9}")
    for name, lines in reached.items():
        others = set().union(*(v for k, v in reached.items() if k != name))
        print(f"{name:<10}{len(lines):>7}{len(lines - others):>9}")
        for module in sorted({module for module, _ in lines - others}):
            count = sum(1 for m, _ in lines - others if m == module)
            print(f"{'':<10}  only here: {module} ({count} lines)")
    chosen = smallest_cover(reached)
    print(f"\nfewest notebooks reaching every one of those lines (greedy): {', '.join(chosen)}")


if __name__ == "__main__":
    main()
