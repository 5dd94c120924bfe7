"""Command line: `python -m multistage setup|doctor|provision|run|lab|progress|clean|bundle|kit|engine|analyze`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .analyze import analyze
from .bundle import export_bundle, import_bundle
from .clean import clean
from .doctor import print_checklist, run_checks
from .engine import connect, ensure_engine
from .errors import MultistageError
from .exercises import EXERCISES, progress_file, read_progress
from .harness import STORES, start_engine, stop_engine
from .kit import KIT_DIR, PLATFORMS, pack, serve, stop
from .profiles import active_profile, pull_official, recipes_for
from .provision import provision
from .results import mb
from .runner import NOTEBOOKS, run_all

__all__ = [
    "main",
]


def _setup(args) -> int:
    client = ensure_engine()
    profile = active_profile(client)
    if profile.name != "official":
        provision(client, recipes=recipes_for(profile.images))
    if profile.name != "local":
        pull_official(client, profile)
    return 0


def _doctor(args) -> int:
    return 0 if print_checklist(run_checks()) else 1


def _provision(args) -> int:
    for status in provision(ensure_engine(), force=args.force):
        print(f"  {status.recipe.tag}: {mb(status.size or 0):.0f} MB")
    return 0


def _run(args) -> int:
    print("Executing every notebook (builds are cached after the first run), then measuring the apps...")
    return 0 if run_all(connect()) else 1


#: JupyterLab settings for a room: no news or update prompt on first start.
LAB_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def _lab(args) -> int:
    # overrides.json in the environment's own settings directory: the participant's user
    # settings stay theirs, and this only sets the defaults they have not chosen.
    overrides = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    overrides.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(overrides.read_text()) if overrides.is_file() else {}
    overrides.write_text(json.dumps({**current, **LAB_OVERRIDES}, indent=2) + "\n")
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--ip=127.0.0.1",
        "--no-browser",
        f"--notebook-dir={NOTEBOOKS}",
        f"--LabApp.default_url=/lab/tree/{sorted(NOTEBOOKS.glob('00-*.ipynb'))[0].name}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    os.execv(command[0], command)
    return 0


def _progress(args) -> int:
    if args.reset:
        progress_file().unlink(missing_ok=True)
        print("Exercise results on this laptop cleared.")
        return 0
    results = read_progress()
    passed = 0
    for name, (notebook, what) in EXERCISES.items():
        result = results.get(name)
        if result is None:
            mark, detail = "·", "not tried yet"
        elif result["passed"]:
            mark, detail = "✓", f"passed at {result['when'][11:16]}"
            passed += 1
        else:
            earlier = ", passed earlier" if result["passed_ever"] else ""
            mark, detail = "✗", f"not yet ({result['when'][11:16]}{earlier}): {result['message']}"
        print(f"{mark} {notebook}  {what:55s} {detail}")
    print(f"{passed} of {len(EXERCISES)} exercises passed on this laptop.")
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


def _kit(args) -> int:
    client = ensure_engine()
    if args.action == "pack":
        pack(client, args.dir, tuple(args.platform), tuple(args.python))
    elif args.action == "serve":
        serve(client, args.dir)
    else:
        stop(client)
    return 0


def _engine(args) -> int:
    client = ensure_engine()
    if args.action == "stop":
        stop_engine(client, args.store)
        return 0
    engine = start_engine(client, args.store)
    print(f"Point the tutorial at it with:\n  export DOCKER_HOST={engine.address}")
    print("Its images are its own: give it the bases with `python -m multistage bundle import FILE`.")
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
    sub.add_parser(
        "run", help="the main job: execute every notebook, measure the samples, write the report page"
    ).set_defaults(func=_run)
    sub.add_parser("lab", help="start JupyterLab on notebooks/ at 127.0.0.1").set_defaults(func=_lab)
    p = sub.add_parser("progress", help="which exercises this laptop has passed")
    p.add_argument("--reset", action="store_true", help="forget this laptop's results (start of a workshop)")
    p.set_defaults(func=_progress)
    p = sub.add_parser("clean", help="remove only this project's containers and images")
    p.add_argument("--keep-bases", action="store_true", help="keep the local base images")
    p.set_defaults(func=_clean)
    p = sub.add_parser("bundle", help="offline bundle of the local base images for workshops")
    p.add_argument("action", choices=["export", "import"])
    p.add_argument("file", help="bundle file to write or read")
    p.set_defaults(func=_bundle)
    p = sub.add_parser("kit", help="the offline workshop kit: pack it once, serve it in the room")
    p.add_argument("action", choices=["pack", "serve", "stop"])
    p.add_argument(
        "dir", nargs="?", default=str(KIT_DIR), help="the kit directory (default: kit/ in the clone)"
    )
    p.add_argument(
        "--platform",
        action="append",
        default=[],
        choices=sorted(PLATFORMS),
        help="pack: also wheels for participants on this platform (repeat for several)",
    )
    p.add_argument(
        "--python", action="append", default=[], help="pack: their Python version, e.g. 3.12 (repeat)"
    )
    p.set_defaults(func=_kit)
    p = sub.add_parser(
        "engine", help="for maintainers: Docker 26 in a container on this engine, to try the tutorial on"
    )
    p.add_argument("action", choices=["start", "stop"])
    p.add_argument("--store", choices=STORES, default="containerd", help="its image store")
    p.set_defaults(func=_engine)
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
