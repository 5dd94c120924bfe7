"""How long the tutorial takes to execute: per notebook, per cell, the slowest cells, against the goals.

Usage:
    python benchmarks/tutorial.py warm            # as they are: builds and layer listings cached
    python benchmarks/tutorial.py cold            # first removes this project's images, the layer
                                                  # cache and BuildKit's build cache (all of it:
                                                  # BuildKit's records carry no labels), keeps the bases
    python benchmarks/tutorial.py warm 03 05      # only some notebooks
    python benchmarks/tutorial.py cold --engine containerd
                                                  # on the harness engine (Docker 26 in a container,
                                                  # containerd image store; or overlay2), started
                                                  # fresh with the bases as a bundle: every notebook
                                                  # cold, then again warm, side by side

Every notebook runs headlessly exactly as `make run` runs it (multistage.runner), and the
executed copies go to build/benchmark/. Beside each notebook's time it prints what a laptop
needs for it: how much the engine's disk use grew (images, containers, build cache, from the
engine's own accounting) and the machine's peak memory in use above what it was before the
notebook (from /proc/meminfo, sampled twice a second; Linux only). Nothing is asserted: the
script prints the ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from multistage.bundle import export_bundle, import_bundle
from multistage.clean import clean
from multistage.engine import connect, engine_facts
from multistage.harness import STORES, start_engine, stop_engine
from multistage.listings import cache_dir
from multistage.profiles import RECIPES
from multistage.runner import BUILD, NOTEBOOKS, SLOW_CELL_SECONDS, execute_notebook

MEMINFO = Path("/proc/meminfo")


def engine_disk(client) -> int:
    """Bytes the engine uses for images, containers and build cache, as `docker system df` counts them."""
    df = client.df()
    images = df.get("LayersSize") or 0
    containers = sum(c.get("SizeRw") or 0 for c in df.get("Containers") or [])
    cache = sum(c.get("Size") or 0 for c in df.get("BuildCache") or [] if not c.get("Shared"))
    return images + containers + cache


def memory_in_use() -> int | None:
    """Bytes of memory in use on this machine (MemTotal - MemAvailable), or None off Linux."""
    if not MEMINFO.exists():
        return None
    fields = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in MEMINFO.read_text().splitlines()}
    return fields["MemTotal"] - fields["MemAvailable"]


class PeakMemory:
    """The highest :func:`memory_in_use` while a ``with`` block runs."""

    def __enter__(self):
        self.before = memory_in_use()
        self.peak = self.before
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while not self.stop.wait(0.5):
            now = memory_in_use()
            if now is not None and self.peak is not None:
                self.peak = max(self.peak, now)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    @property
    def above_mb(self) -> float | None:
        return None if self.before is None else (self.peak - self.before) / 1e6


GOALS = {"notebook, warm": 60, "all notebooks, warm": 240, "make run, cold": 15 * 60}


def _machine(client) -> str:
    """The machine the figures come from: cores, memory, system and engine (the guide quotes this line)."""

    def field(path: str, key: str, separator: str) -> str | None:
        lines = Path(path).read_text().splitlines() if Path(path).exists() else []
        return next((line.split(separator, 1)[1].strip() for line in lines if line.startswith(key)), None)

    kib = field("/proc/meminfo", "MemTotal:", ":")
    memory = f"{int(kib.split()[0]) / 2**20:.0f} GB memory, " if kib else ""
    system = (field("/etc/os-release", "PRETTY_NAME=", "=") or "unknown system").strip('"')
    return (
        f"machine: {os.cpu_count()} cores, {memory}{system}; "
        f"engine {client.version().get('Version')} ({client.info().get('Driver')})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["cold", "warm"])
    parser.add_argument("only", nargs="*", help="notebook number prefixes (default: all)")
    parser.add_argument("--engine", choices=STORES, help="run on the harness engine with this image store")
    args = parser.parse_args()
    if args.engine:
        on_harness(args.engine, args.only)
        return
    client = connect()
    print(_machine(client), flush=True)
    if args.mode == "cold":
        clean(client, keep_bases=True, say=print)
        shutil.rmtree(cache_dir(), ignore_errors=True)
        print("Pruning BuildKit's build cache (a minute or more when it is large)...", flush=True)
        pruned = client.api.prune_builds().get("SpaceReclaimed", 0)
        print(f"Cold start: layer cache emptied, BuildKit cache pruned ({pruned / 1e6:.0f} MB).")
    notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    if args.only:
        notebooks = [n for n in notebooks if n.name[:2] in args.only]
    runs = []
    needs = {}
    started = time.monotonic()
    disk_at_start = engine_disk(client)
    for path in notebooks:
        print(f"{path.stem} ...", flush=True)
        disk = engine_disk(client)
        with PeakMemory() as memory:
            run = execute_notebook(path, BUILD / "benchmark")
        needs[run.name] = ((engine_disk(client) - disk) / 1e6, memory.above_mb)
        runs.append(run)
        status = f"FAILED: {run.error}" if run.error else "ok"
        print(f"{path.stem}: {run.seconds:.0f} s ({status})", flush=True)
    total = time.monotonic() - started

    print(f"\n{args.mode} run, {len(runs)} notebook(s)")
    print(
        f"{'notebook':40s} {'seconds':>8s} {'disk +MB':>9s} {'peak mem +MB':>13s}  "
        f"goal (warm): {GOALS['notebook, warm']} s each"
    )
    for run in runs:
        mark = "" if args.mode == "cold" else ("ok" if run.seconds <= GOALS["notebook, warm"] else "OVER")
        disk, memory = needs[run.name]
        shown = f"{memory:13.0f}" if memory is not None else f"{'-':>13s}"
        print(f"{run.name:40s} {run.seconds:8.1f} {disk:9.0f} {shown}  {mark}")
    print(
        f"engine disk use grew {(engine_disk(client) - disk_at_start) / 1e6:.0f} MB over the run; "
        f"the machine's peak memory above its level before each notebook is the last column."
    )
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


def on_harness(store: str, only: list[str]) -> None:
    """Every notebook on a fresh harness engine: first cold (nothing built, no layer listings), then warm."""
    host = connect()
    engine = start_engine(host, store)
    try:
        with tempfile.TemporaryDirectory(prefix="multistage-bench-", dir="/var/tmp") as tmp:
            export_bundle(host, Path(tmp) / "bases.tar", recipes=RECIPES)
            import_bundle(engine.connect(), Path(tmp) / "bases.tar")
            os.environ.update(DOCKER_HOST=engine.address, MULTISTAGE_CACHE_DIR=tmp)
            facts = engine_facts(engine.connect())
            notebooks = [
                n for n in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")) if not only or n.name[:2] in only
            ]
            seconds: dict[str, list[str]] = {}
            for mode in ("cold", "warm"):
                for path in notebooks:
                    run = execute_notebook(path, BUILD / "benchmark" / store)
                    shown = f"{run.seconds:.0f}" + (" FAILED" if run.error else "")
                    seconds.setdefault(path.stem, []).append(shown)
                    print(f"{mode} {path.stem}: {shown} s {run.error}", flush=True)
    finally:
        stop_engine(host, store)
    print(f"\n{facts.kind} {facts.server_version}, {facts.store}: seconds per notebook")
    print(f"{'notebook':40s} {'cold':>10s} {'warm':>10s}")
    for name, (cold, warm) in seconds.items():
        print(f"{name:40s} {cold:>10s} {warm:>10s}")


if __name__ == "__main__":
    main()
