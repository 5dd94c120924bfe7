"""Command line: `python -m multistage setup|doctor|provision|run|lab|clean|bundle|analyze`."""

from __future__ import annotations

import argparse
import os
import sys

from .analyze import analyze
from .bundle import export_bundle, import_bundle
from .clean import clean
from .doctor import print_checklist, run_checks
from .engine import connect, ensure_engine
from .errors import MultistageError
from .profiles import active_profile, pull_official
from .provision import provision
from .runner import NOTEBOOKS, run_all

__all__ = [
    "main",
]


def _setup(args) -> int:
    client = ensure_engine()
    if active_profile(client).name == "local":
        provision(client)
    else:
        pull_official(client)
    return 0


def _doctor(args) -> int:
    return 0 if print_checklist(run_checks()) else 1


def _provision(args) -> int:
    for status in provision(ensure_engine(), force=args.force):
        print(f"  {status.recipe.tag}: {status.size / 1e6:.0f} MB")
    return 0


def _run(args) -> int:
    print("Executing every notebook (builds are cached after the first run), then measuring the apps...")
    return 0 if run_all(connect()) else 1


def _lab(args) -> int:
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--ip=127.0.0.1",
        "--no-browser",
        f"--notebook-dir={NOTEBOOKS}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    os.execv(command[0], command)
    return 0


def _clean(args) -> int:
    clean(connect(), keep_bases=args.keep_bases)
    return 0


def _bundle(args) -> int:
    client = ensure_engine()
    if args.action == "export":
        export_bundle(client, args.file)
    else:
        import_bundle(client, args.file)
    return 0


def _analyze(args) -> int:
    analysis = analyze(args.context, args.file, target=args.target, client=ensure_engine())
    print(analysis.summary())
    if args.html:
        print(f"\nPage: {analysis.to_html(args.html)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; errors print one sentence and exit non-zero."""
    parser = argparse.ArgumentParser(prog="python -m multistage", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "setup", help="reach or start an engine, choose the base profile, provision bases"
    ).set_defaults(func=_setup)
    sub.add_parser("doctor", help="print a readiness checklist").set_defaults(func=_doctor)
    p = sub.add_parser("provision", help="build the local base images (idempotent)")
    p.add_argument("--force", action="store_true", help="rebuild every base even if current")
    p.set_defaults(func=_provision)
    sub.add_parser("run", help="the main job: build the samples and print what was measured").set_defaults(
        func=_run
    )
    sub.add_parser("lab", help="start JupyterLab on notebooks/ at 127.0.0.1").set_defaults(func=_lab)
    p = sub.add_parser("clean", help="remove only this project's containers and images")
    p.add_argument("--keep-bases", action="store_true", help="keep the local base images")
    p.set_defaults(func=_clean)
    p = sub.add_parser("bundle", help="offline bundle of the local base images for workshops")
    p.add_argument("action", choices=["export", "import"])
    p.add_argument("file", help="bundle file to write or read")
    p.set_defaults(func=_bundle)
    p = sub.add_parser(
        "analyze", help="measure your own multi-stage Dockerfile against the tutorial's lessons"
    )
    p.add_argument("context", help="the project directory (build context); nothing in it is changed")
    p.add_argument("-f", "--file", default="Dockerfile", help="the Dockerfile, relative to the context")
    p.add_argument("--target", help="the stage to build (default: the last)")
    p.add_argument("--html", help="also write the analysis as an offline HTML page")
    p.set_defaults(func=_analyze)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except MultistageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
