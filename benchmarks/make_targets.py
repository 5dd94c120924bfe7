"""What a test target costs this machine: its wall time, the processor time it used, and the
shortest wall time any schedule could reach on this machine's cores.

Usage:
    python benchmarks/make_targets.py               # make test, in this checkout
    python benchmarks/make_targets.py test-engines

It runs ``make <target>`` and reads the machine's processor time before and after (``/proc/stat``:
every process, so run it on a machine doing nothing else), and the part spent in the engine's
containers and build steps (the ``docker`` cpuacct cgroup, where an engine with the cgroupfs driver
keeps them under cgroup v1; dockerd's own work, such as exporting layers, is not in it).
Processor time divided by the number of cores is a floor on the wall time: two workers, or
twenty, cannot finish the same work sooner. For a fresh machine's figure, run it on one (no
Docker, no images or build cache, no ``~/.cache/multistage`` or ``~/.cache/pip``). Nothing is
asserted: the script prints the figures.

Linux only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINE_CGROUP = Path("/sys/fs/cgroup/cpuacct/docker/cpuacct.usage")
TICKS = os.sysconf("SC_CLK_TCK")


def machine_seconds() -> float:
    """Processor seconds every core has spent busy since boot (user, nice, system, irq, softirq, steal)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / TICKS


def engine_seconds() -> float | None:
    """Processor seconds of the engine's containers and build steps since it started, where readable."""
    try:
        return int(ENGINE_CGROUP.read_text()) / 1e9
    except (OSError, ValueError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("target", nargs="?", default="test", help="the make target (default: test)")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    busy, engine, started = machine_seconds(), engine_seconds(), time.monotonic()
    result = subprocess.run(["make", args.target], cwd=ROOT)
    wall = time.monotonic() - started
    used = machine_seconds() - busy
    in_engine = engine_seconds()
    print(f"\nmake {args.target}: exit {result.returncode}, {wall:.0f} s wall on {cores} cores")
    print(f"processor time: {used:.0f} s, {used / (wall * cores):.0%} of what the cores could give")
    if in_engine is not None:
        spent = in_engine - (engine or 0.0)  # no cgroup yet: the engine was installed during the run
        print(f"  in the engine's containers and build steps: {spent:.0f} s ({spent / used:.0%})")
    print(f"floor on the wall time, all {cores} cores busy throughout: {used / cores:.0f} s")
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
