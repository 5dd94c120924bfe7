"""What BuildKit cache mounts (`RUN --mount=type=cache`) save on the sample apps' rebuilds.

Usage:  python benchmarks/cache_mounts.py

Runs notebook 07's experiments (multistage.experiments.faster_rebuilds): for Go, the rebuild
after a source edit against a cold build, without and with a mount on Go's build and module
caches; for Node (npm) and Python (pip), the rebuild after a dependency edit, without and with
a mount on the package manager's cache. Each rebuild follows one build of the same Dockerfile,
which with the mount fills the cache (as on a developer's machine). Then what each builder says to `RUN --mount` and to a heredoc. Nothing is asserted: the ratios are printed
(issue goal for Go: with/cold at most 0.10).
"""

from __future__ import annotations

import pandas as pd

from multistage import connect
from multistage.experiments.faster_rebuilds import MOUNTS, cache_mount_rebuilds, mount_support


def main() -> None:
    client = connect()
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", None)
    print(cache_mount_rebuilds(cold=tuple(MOUNTS), client=client, progress=False).to_string())
    print("\n(seconds; cold: --no-cache build of the document's Dockerfile; without and with: the")
    print(" rebuild after the edit, without and with a cache mount)\n")
    print(mount_support(client).to_string())


if __name__ == "__main__":
    main()
