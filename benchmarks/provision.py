"""Provision every local base image from nothing and print the time, the sizes and the disk used.

Usage:  python benchmarks/provision.py
It removes this project's images first (only those: see `multistage clean`), so the next builds
start cold. Goal: all bases in at most 6 minutes on 2 cores.
"""

from __future__ import annotations

import shutil
import time

from multistage.clean import clean
from multistage.engine import engine_facts, ensure_engine
from multistage.provision import PROVISION_NEEDS_BYTES, provision

GOAL_SECONDS = 360


def main() -> None:
    client = ensure_engine()
    clean(client, keep_bases=False)
    root = engine_facts(client).root_dir
    used_before = shutil.disk_usage(root).used
    started = time.monotonic()
    statuses = provision(client, force=True)
    seconds = time.monotonic() - started
    used = shutil.disk_usage(root).used - used_before
    print(
        f"\nprovisioned {len(statuses)} local bases from nothing in {seconds:.0f} s "
        f"(goal <= {GOAL_SECONDS} s: {'met' if seconds <= GOAL_SECONDS else 'MISSED'})"
    )
    print(
        f"disk used by the engine grew by {used / 1e9:.2f} GB "
        f"(provisioning refuses below {PROVISION_NEEDS_BYTES / 1e9:.0f} GB free)"
    )
    for status in statuses:
        print(f"  {status.recipe.tag:40s} {status.size / 1e6:8.1f} MB  for {status.recipe.stands_in_for[0]}")


if __name__ == "__main__":
    main()
