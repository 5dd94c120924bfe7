"""Wall time of a build through the package (Docker SDK) versus the `docker build` CLI.

Usage:  python benchmarks/sdk_vs_cli.py [--rounds 5] [--app sample_apps/go]
Both build the same Dockerfile with the classic builder, without cache, with the same build
args, alternating so that drift on the machine hits both alike, after one uncounted warm-up
round. Prints the median of each and their ratio (goal: SDK / CLI <= 1.05).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path

from multistage import active_profile, build, connect

GOAL = 1.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--app", default=str(Path(__file__).parent.parent / "sample_apps" / "go"))
    args = parser.parse_args()
    client = connect()
    profile = active_profile(client)
    dockerfile = Path(args.app) / "Dockerfile"
    build_args = profile.build_args_for(dockerfile.read_text())
    cli = ["docker", "build", "--no-cache", "--rm", "--force-rm", "-q", "-t", "multistage-tutorial/bench:cli"]
    for name, value in build_args.items():
        cli += ["--build-arg", f"{name}={value}"]
    cli += ["--label", "io.github.multistage-tutorial.project=multistage-tutorial", args.app]
    env = dict(os.environ, DOCKER_BUILDKIT="0")  # the classic builder, as the SDK uses
    sdk_times, cli_times = [], []
    # Round 0 is a warm-up for both (page cache, engine start-up costs) and is not counted.
    for round_ in range(0, args.rounds + 1):
        started = time.monotonic()
        build(args.app, tag="multistage-tutorial/bench:sdk", nocache=True, client=client, progress=False)
        sdk = time.monotonic() - started
        started = time.monotonic()
        subprocess.run(cli, env=env, check=True, capture_output=True)
        cli_seconds = time.monotonic() - started
        print(
            f"round {round_}{' (warm-up, not counted)' if round_ == 0 else ''}: sdk {sdk:.2f} s, cli {cli_seconds:.2f} s"
        )
        if round_:
            sdk_times.append(sdk)
            cli_times.append(cli_seconds)
    sdk, cli_median = statistics.median(sdk_times), statistics.median(cli_times)
    ratio = sdk / cli_median
    print(f"\n{args.app} on the {profile.name} profile, {args.rounds} rounds, no cache:")
    print(
        f"median SDK {sdk:.2f} s, median CLI {cli_median:.2f} s, ratio SDK/CLI = {ratio:.3f} "
        f"(goal <= {GOAL}: {'met' if ratio <= GOAL else 'MISSED'})"
    )
    for tag in ("multistage-tutorial/bench:sdk", "multistage-tutorial/bench:cli"):
        client.images.remove(tag, force=True)


if __name__ == "__main__":
    main()
