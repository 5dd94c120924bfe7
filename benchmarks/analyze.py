"""`python -m multistage analyze` on the sample apps, the fixtures and the corpus of real projects.

Usage:  python benchmarks/analyze.py [--only NAME ...] [--no-warm] [--corpus-only]

Every project is analysed unchanged, on the active profile: first cold, then again warm (builds
and layer listings cached), with its source and dependency edits. One row per project: analysed
or refused, seconds cold and warm, the findings' codes, and the refusal's sentence. It ends with
the corpus's pass rate (goal: at least 90 % analysed end to end; every other project refused in
one sentence naming the obstacle) and the warm time of an app the size of the Node sample (goal:
at most 90 s). Nothing is asserted: the script prints what it measured.

The corpus is `tests/fixtures/corpus/`: one folder per public project, its build context
unchanged, with `SOURCE.md` (repository, commit, licence) and its line in `projects.json`
(which Dockerfile and target a build uses).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from multistage import connect
from multistage.analyze import analyze
from multistage.apps import APPS
from multistage.errors import MultistageError

GOAL_PASS_RATE = 0.9
GOAL_WARM_SECONDS = 90
TESTS = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
CORPUS = TESTS / "corpus"


def projects(corpus_only: bool) -> dict[str, tuple[Path, str, str | None, bool]]:
    """Name -> (context, Dockerfile, target, in the corpus)."""
    found: dict[str, tuple[Path, str, str | None, bool]] = {}
    if not corpus_only:
        found["node sample"] = (APPS["node"].path, "Dockerfile", None, False)
        for folder in sorted((TESTS / "analyze").iterdir()):
            if folder.is_dir():
                found[folder.name] = (folder, "Dockerfile", None, False)
    listed = json.loads((CORPUS / "projects.json").read_text())
    for name, entry in sorted(listed.items()):
        found[name] = (CORPUS / name, entry.get("dockerfile", "Dockerfile"), entry.get("target"), True)
    return found


def run(path: Path, dockerfile: str, target: str | None, client) -> tuple[float, str]:
    """Analyse once: (seconds, the findings' codes or ``REFUSED: <sentence>``)."""
    started = time.monotonic()
    try:
        analysis = analyze(path, dockerfile, target=target, client=client, progress=False)
    except MultistageError as exc:
        return time.monotonic() - started, "REFUSED: " + str(exc).splitlines()[0]
    codes = ", ".join(finding.code for finding in analysis.findings) or "no findings"
    return time.monotonic() - started, f"{analysis.start.outcome if analysis.start else ''}; {codes}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="these projects only")
    parser.add_argument("--no-warm", action="store_true", help="analyse each project once")
    parser.add_argument("--corpus-only", action="store_true", help="leave out the sample and the fixtures")
    args = parser.parse_args()
    client = connect()
    chosen = {k: v for k, v in projects(args.corpus_only).items() if not args.only or k in args.only}
    print(f"{'project':40s} {'cold (s)':>9s} {'warm (s)':>9s}  outcome")
    analysed = refused = 0
    for name, (path, dockerfile, target, in_corpus) in chosen.items():
        cold, said = run(path, dockerfile, target, client)
        warm = (
            None if args.no_warm or said.startswith("REFUSED") else run(path, dockerfile, target, client)[0]
        )
        print(f"{name:40s} {cold:9.1f} {'' if warm is None else f'{warm:9.1f}':>9s}  {said}", flush=True)
        if in_corpus:
            refused += said.startswith("REFUSED")
            analysed += not said.startswith("REFUSED")
    total = analysed + refused
    if total:
        rate = analysed / total
        verdict = "met" if rate >= GOAL_PASS_RATE else "MISSED"
        print(
            f"\ncorpus: {analysed} of {total} analysed end to end ({rate:.0%}; goal >= {GOAL_PASS_RATE:.0%}: {verdict})"
        )


if __name__ == "__main__":
    main()
