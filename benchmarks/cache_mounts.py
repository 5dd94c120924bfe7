"""What BuildKit cache mounts (`RUN --mount=type=cache`) save on the sample apps' rebuilds.

Usage:  python benchmarks/cache_mounts.py

For each app, the document's Dockerfile is built as it is and with cache mounts on its
dependency and compile steps (the package manager's and the compiler's own caches), in
temporary copies, with BuildKit:

- Go, after a source edit: rebuild seconds against a cold (`--no-cache`) build of the
  document's Dockerfile; without a mount every edit recompiles the standard library.
- Node (npm) and Python (pip), after a dependency edit: rebuild seconds with and without the
  mount (with it, the packages come from the cache instead of the registry).

Every mount gets a fresh `id`, so the first build with it starts from an empty cache. Also
prints what the classic builder says when given `RUN --mount`. Nothing is asserted.
"""

from __future__ import annotations

import uuid

from multistage import BuildFailed, connect
from multistage.apps import APPS, build_text
from multistage.experiments.edits import run_scenarios

#: App -> (the step to change, its cache targets, the edit that makes that step run again).
MOUNTS = {
    "go": (
        "RUN CGO_ENABLED=0 GOOS=linux go build -o main .",
        ("/root/.cache/go-build", "/go/pkg/mod"),
        "source edit",
    ),
    "node": ("RUN npm install", ("/root/.npm",), "dependency edit"),
    "python": ("RUN pip install --user -r requirements.txt", ("/root/.cache/pip",), "dependency edit"),
}


def with_mounts(app: str) -> str:
    """The app's document Dockerfile with fresh cache mounts on the step :data:`MOUNTS` names."""
    step, targets, _ = MOUNTS[app]
    nonce = uuid.uuid4().hex[:8]
    mounts = " ".join(
        f"--mount=type=cache,id={app}-{index}-{nonce},target={target}" for index, target in enumerate(targets)
    )
    text = APPS[app].dockerfile_text("multi")
    if step not in text:
        raise SystemExit(f"{app}: the document's Dockerfile no longer has `{step}`; update MOUNTS.")
    return text.replace(step, step.replace("RUN ", f"RUN {mounts} ", 1))


def main() -> None:
    client = connect()
    rows = []
    for app, (_, _, edit) in MOUNTS.items():
        print(f"{app}: cold build, then `{edit}` without and with a cache mount ...", flush=True)
        cold = APPS[app].build("multi", client=client, builder="buildkit", nocache=True).seconds
        plain = run_scenarios(app, edits=[edit], client=client, builder="buildkit").rebuilds[edit].seconds
        mounted_set = run_scenarios(
            app, edits=[edit], dockerfile_text=with_mounts(app), client=client, builder="buildkit"
        )
        rows.append(
            (app, edit, cold, plain, mounted_set.baseline.seconds, mounted_set.rebuilds[edit].seconds)
        )
    print(
        f"\n{'app':8s} {'after':16s} {'cold':>7s} {'plain':>7s} {'first+mount':>12s} {'mount':>7s}"
        f" {'plain/cold':>11s} {'mount/cold':>11s} {'mount/plain':>12s}"
    )
    for app, edit, cold, plain, first, mount in rows:
        print(
            f"{app:8s} {edit:16s} {cold:7.1f} {plain:7.1f} {first:12.1f} {mount:7.1f}"
            f" {plain / cold:11.2f} {mount / cold:11.2f} {mount / plain:12.2f}"
        )
    print("\n(seconds; cold: --no-cache build of the document's Dockerfile; first+mount: the first build")
    print(" with an empty cache mount; plain and mount: the rebuild after the edit)")
    try:
        build_text("go", with_mounts("go"), client=client, builder="classic", progress=False)
        print("\nclassic builder with RUN --mount: built (unexpected)")
    except BuildFailed as exc:
        print(f"\nclassic builder with RUN --mount: {str(exc).splitlines()[0]}")


if __name__ == "__main__":
    main()
