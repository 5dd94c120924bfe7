"""Wall time of BuildKit (through the Engine API) versus the classic builder, and versus the buildx CLI.

Usage:  python benchmarks/buildkit_vs_classic.py [--rounds 3] [--slow-seconds 10]

(a) node `Dockerfile.slow-stage`, `--target production`, with a stage production does not
    need that sleeps --slow-seconds; each builder's cache is warm and only that stage is new
    (a fresh nonce per round). Goal: BuildKit / classic <= 0.5.
(b) the two-builder app (sample_apps/fullstack), cold (no cache), builders alternating.
    Goal: BuildKit / classic < 1.
(c) BuildKit through the API versus `docker buildx build` (rawjson progress) on (b), where a
    buildx plugin is installed; otherwise said and skipped.
Medians over --rounds; prints each round and the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time

from multistage import active_profile, connect
from multistage.apps import APPS
from multistage.build import builder_path
from multistage.experiments.named_stages import slow_unused_stage
from multistage.progress import quiet

GOALS = {"slow unused stage": 0.5, "two-builder cold build": 1.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--slow-seconds", type=int, default=10)
    args = parser.parse_args()
    client = connect()
    profile = active_profile(client)
    times: dict[str, dict[str, list[float]]] = {name: {"classic": [], "buildkit": []} for name in GOALS}
    for round_ in range(1, args.rounds + 1):
        slow = slow_unused_stage(
            seconds=args.slow_seconds, builders=("classic", "buildkit"), client=client, progress=False
        )
        for builder, report in slow.items():
            times["slow unused stage"][builder].append(report.seconds)
        order = ("classic", "buildkit") if round_ % 2 else ("buildkit", "classic")
        for builder in order:
            report = APPS["fullstack"].build(
                "multi", builder=builder, nocache=True, client=client, progress=False
            )
            times["two-builder cold build"][builder].append(report.seconds)
        print(
            f"round {round_}: "
            + "; ".join(
                f"{name}: " + ", ".join(f"{b} {t[-1]:.1f} s" for b, t in by.items())
                for name, by in times.items()
            )
        )
    print(f"\nProfile {profile.name}, {args.rounds} rounds, medians:")
    for name, by in times.items():
        classic, buildkit = statistics.median(by["classic"]), statistics.median(by["buildkit"])
        ratio = buildkit / classic
        goal = GOALS[name]
        verdict = "met" if (ratio <= goal if goal < 1 else ratio < goal) else "MISSED"
        print(
            f"  {name}: BuildKit {buildkit:.1f} s, classic {classic:.1f} s, ratio {ratio:.3f} (goal {'<=' if goal < 1 else '<'} {goal}: {verdict})"
        )
    buildx_versus_api(client, args.rounds, statistics.median(times["two-builder cold build"]["buildkit"]))


def buildx_versus_api(client, rounds: int, api_median: float) -> None:
    """Time `docker buildx build --progress=rawjson` on the two-builder app, if buildx exists."""
    if builder_path(client)[1] != "BuildKit (Engine API)":
        print(f"  BuildKit API vs buildx CLI: skipped, builds here go {builder_path(client)[1]} already.")
        return
    probe = subprocess.run(["docker", "buildx", "version"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        print(
            "  BuildKit API vs buildx CLI: skipped, no buildx plugin here (`docker buildx version` failed)."
        )
        return
    app = APPS["fullstack"]
    profile = active_profile(client, say=quiet)
    command = [
        "docker",
        "buildx",
        "build",
        "--no-cache",
        "--progress=rawjson",
        "--load",
        "-t",
        "multistage-tutorial/bench:buildx",
    ]
    for name, value in profile.build_args_for(app.dockerfile_text("multi")).items():
        command += ["--build-arg", f"{name}={value}"]
    command += ["--label", "io.github.multistage-tutorial.project=multistage-tutorial", str(app.path)]
    seconds = []
    for _ in range(rounds):
        started = time.monotonic()
        subprocess.run(command, check=True, capture_output=True)
        seconds.append(time.monotonic() - started)
    cli = statistics.median(seconds)
    print(f"  BuildKit API {api_median:.1f} s vs buildx CLI {cli:.1f} s: ratio {api_median / cli:.3f}")


if __name__ == "__main__":
    main()
