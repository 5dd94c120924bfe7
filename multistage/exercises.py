"""Exercise checkers: build the learner's answer for real and say pass or fail, with a hint."""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import docker

from .apps import APPS, build_text
from .build import default_builder
from .cache import cache_root, write_atomically
from .containers import smoke_test
from .contents import facts, files_by_stage, node_modules
from .dockerfile import copies_by_position, parse_stages, reachable
from .edits import run_scenarios
from .engine import client_or_connect
from .errors import MultistageError
from .experiments.faster_rebuilds import mount_builder
from .experiments.named_stages import FAILING_TESTS
from .experiments.overview import BuilderPattern
from .results import mb

__all__ = [
    "EXERCISES",
    "CheckResult",
    "check_go_cache_mount",
    "check_go_small_image",
    "check_node_production_only",
    "check_one_dockerfile",
    "check_python_non_root",
    "check_named_copy",
    "check_tests_gate_the_image",
    "check_third_stage",
    "progress_file",
    "read_progress",
]

#: Checker name -> (notebook, what the exercise asks), in the tutorial's order.
EXERCISES = {
    "check_one_dockerfile": ("00", "the builder pattern as one multi-stage Dockerfile"),
    "check_node_production_only": ("01", "a Node image without development packages"),
    "check_go_small_image": ("02", "a Go image hardly larger than its binary that still serves"),
    "check_python_non_root": ("03", "a Python image that runs as a non-root user"),
    "check_tests_gate_the_image": ("04", "failing tests stop the image"),
    "check_third_stage": ("05", "a third stage that can run beside the other two"),
    "check_named_copy": ("06", "a COPY --from that survives an inserted stage"),
    "check_go_cache_mount": ("07", "a Go rebuild in a quarter of a cold build with a cache mount"),
}


@dataclass
class CheckResult:
    """The verdict on an exercise answer."""

    passed: bool
    message: str
    measured: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return ("✅ PASS: " if self.passed else "❌ NOT YET: ") + self.message


def progress_file() -> Path:
    """Where this laptop keeps its exercise results (``python -m multistage progress`` reads it)."""
    return cache_root() / "exercises.json"


def read_progress() -> dict[str, dict]:
    """Checker name -> its latest result on this laptop: passed, when, the message, passed ever."""
    try:
        return json.loads(progress_file().read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _record(name: str, passed: bool, message: str) -> None:
    results = read_progress()
    earlier = results.get(name, {})
    results[name] = {
        "passed": passed,
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "message": message,
        "passed_ever": passed or earlier.get("passed_ever", False),
    }
    write_atomically(progress_file(), json.dumps(results, indent=1).encode())


def _recorded(check):
    """Keep every verdict of ``check`` on this laptop, failures and errors included."""

    @functools.wraps(check)
    def wrapper(*args, **kwargs) -> CheckResult:
        try:
            result = check(*args, **kwargs)
        except MultistageError as exc:
            _record(check.__name__, False, str(exc).split("\n", 1)[0])
            raise
        _record(check.__name__, result.passed, result.message)
        return result

    return wrapper


@_recorded
def check_node_production_only(
    dockerfile_text: str, client: docker.DockerClient | None = None
) -> CheckResult:
    """Exercise (notebook 01): the Node image must serve /health and ship no development dependency.

    Args:
        dockerfile_text: The learner's Dockerfile for ``sample_apps/node``.
        client: Docker client.

    Returns:
        The :class:`CheckResult` (also printed).
    """
    client, report = _build_and_serve("node", dockerfile_text, client)
    if isinstance(report, CheckResult):
        return report
    modules = node_modules(client, report.image_id, str(APPS["node"].path / "package-lock.json"))
    measured = {
        "size_mb": round(report.size_mb, 1),
        "dev_mb": modules.dev_mb,
        "dev_packages": modules.dev_packages,
    }
    if modules.dev_packages:
        return _say(
            CheckResult(
                False,
                f"the image still carries {modules.dev_packages} development packages ({modules.dev_mb:.1f} MB). "
                "Hint: the builder needs every package to compile, the final image only the production "
                "ones; where else could a production-only node_modules be installed?",
                measured,
            )
        )
    return _say(
        CheckResult(
            True, f"{report.size_mb:.1f} MB, no development dependency, /health answers 200.", measured
        )
    )


def _build_and_serve(app: str, dockerfile_text: str, client: docker.DockerClient | None, **options):
    """Build the answer and smoke-test it; return ``(client, report)``, or ``(client, failing CheckResult)``."""
    client = client_or_connect(client)
    try:
        report = build_text(app, dockerfile_text, client=client, **options)
        smoke_test(client, report.image_id, APPS[app].port)
    except MultistageError as exc:
        return client, _say(CheckResult(False, f"the image must build and answer GET /health. {exc}"))
    return client, report


@_recorded
def check_tests_gate_the_image(
    dockerfile_text: str, client: docker.DockerClient | None = None, builder: str | None = None
) -> CheckResult:
    """Exercise (notebook 04): a failing Go test must stop the build, under BuildKit too.

    Builds the answer twice against copies of ``sample_apps/go``: as is (it must build and
    serve /health, with a stage named ``test`` among the stages that ran), and with one
    deliberately failing test added (the build must fail on that test).

    Args:
        dockerfile_text: The learner's Dockerfile for ``sample_apps/go``.
        client: Docker client.
        builder: The builder to check with; ``None``: the engine's default, BuildKit (or on Podman,
            Buildah), which skips the stages the target does not need.

    Returns:
        The :class:`CheckResult` (also printed).
    """
    client = client_or_connect(client)
    builder = builder or default_builder(client)
    client, report = _build_and_serve("go", dockerfile_text, client, builder=builder)
    if isinstance(report, CheckResult):
        return report
    names = {s.index: s.name for s in parse_stages(dockerfile_text)}
    ran = sorted(names[i] or f"stage {i}" for i in report.stages_run)
    measured: dict[str, object] = {"stages_run": ran}
    if "test" not in ran:
        return _say(
            CheckResult(
                False,
                f"the {builder} build used the stages {', '.join(ran)}, none named `test`. Hint: add a "
                "stage named `test` that runs `go test ./...` — and give the final stage a reason to need it.",
                measured,
            )
        )
    path, content = FAILING_TESTS["go"]
    try:
        build_text("go", dockerfile_text, client=client, files={path: content}, builder=builder)
    except MultistageError as exc:
        measured["failed_step"] = getattr(exc, "step", None)
        if "TestFailsOnPurpose" in str(exc):
            return _say(
                CheckResult(
                    True, "a failing test stops the build, and the tested image serves /health.", measured
                )
            )
        return _say(CheckResult(False, f"the build failed, but not on the failing test: {exc}", measured))
    return _say(
        CheckResult(
            False,
            f"with a failing test added, {builder} still built an image: the final stage does not "
            "depend on `test`, so the tests were skipped. Hint: BuildKit builds what the final stage "
            "copies from; what could it copy from `test`?",
            measured,
        )
    )


@_recorded
def check_third_stage(
    dockerfile_text: str, client: docker.DockerClient | None = None, builder: str | None = None
) -> CheckResult:
    """Exercise (notebook 05): the image must also hold a file from a third stage that a builder
    can run beside ``api`` and ``web``: one that neither starts ``FROM`` nor copies from them.

    Args:
        dockerfile_text: The learner's Dockerfile for ``sample_apps/fullstack``.
        client: Docker client.
        builder: The builder to check with; ``None``: the engine's default.

    Returns:
        The :class:`CheckResult` (also printed).
    """
    client, report = _build_and_serve("fullstack", dockerfile_text, client, builder=builder)
    if isinstance(report, CheckResult):
        return report
    try:
        files = files_by_stage(client, report)
    except MultistageError as exc:
        return _say(CheckResult(False, str(exc)))
    sources = sorted(set(files["stage"]))
    measured = {"stages": sources}
    others = [s for s in sources if s not in ("api", "web")]
    if len(others) == 1 and len(sources) == 3:
        path = files[files["stage"] == others[0]]["path"].iloc[0]
        stages = parse_stages(dockerfile_text)
        third = next((stage for stage in stages if stage.label == others[0]), None)
        # Copied from an image, not a stage (`COPY --from=alpine:3 …`): it waits for nothing.
        waits_for = (
            sorted(
                stages[index].label
                for index in reachable(stages, third.label)
                if stages[index].label in ("api", "web")
            )
            if third is not None
            else []
        )
        measured["waits_for"] = waits_for
        if waits_for:
            return _say(
                CheckResult(
                    False,
                    f"{path} came from stage `{others[0]}`, but that stage waits for "
                    f"{' and '.join(f'`{label}`' for label in waits_for)}: it starts FROM it or copies "
                    "from it, so no builder can run it at the same time. Hint: what does it need from them?",
                    measured,
                )
            )
        return _say(
            CheckResult(
                True,
                f"{path} came from `{others[0]}`, which needs neither `api` nor `web`, so a "
                "builder can run all three at once; /health answers 200.",
                measured,
            )
        )
    return _say(
        CheckResult(
            False,
            f"the final image's files came from {sources}. Hint: a stage is any `FROM`; the final "
            "stage holds only what it copies.",
            measured,
        )
    )


@_recorded
def check_named_copy(dockerfile_text: str, client: docker.DockerClient | None = None) -> CheckResult:
    """Exercise (notebook 06): the Python image builds and serves /health again after a stage was
    inserted first, and no ``COPY --from`` names a stage by its position.

    Args:
        dockerfile_text: The learner's Dockerfile for ``sample_apps/python``.
        client: Docker client.

    Returns:
        The :class:`CheckResult` (also printed).
    """
    client, report = _build_and_serve("python", dockerfile_text, client)
    if isinstance(report, CheckResult):
        return report
    by_position = [item.text for item in copies_by_position(dockerfile_text)]
    measured = {"by_position": by_position}
    if by_position:
        return _say(
            CheckResult(
                False,
                f"it builds and serves again, but `{by_position[0]}` still counts stages: the next "
                "stage someone inserts breaks it again. Hint: what can a stage be called instead?",
                measured,
            )
        )
    return _say(CheckResult(True, "every COPY --from names its stage, and /health answers 200.", measured))


def _say(result: CheckResult) -> CheckResult:
    print(result)
    return result


@_recorded
def check_go_small_image(
    dockerfile_text: str,
    binary_bytes: int,
    slack_mb: float = 1.0,
    client: docker.DockerClient | None = None,
) -> CheckResult:
    """Exercise (notebook 02): the Go image may be at most ``slack_mb`` larger than its binary, and still serve /health.

    The limit follows the binary measured on this machine, not a fixed size: the document's
    image is that binary on a base with a shell and a package manager, whichever base the
    profile uses.

    Args:
        dockerfile_text: The learner's Dockerfile for ``sample_apps/go``.
        binary_bytes: The size of the document's binary (``/root/main`` in its image).
        slack_mb: How much besides the binary the image may hold, in MB (10^6 bytes).
        client: Docker client.

    Returns:
        The :class:`CheckResult` (also printed).
    """
    client, report = _build_and_serve("go", dockerfile_text, client)
    if isinstance(report, CheckResult):
        return report
    limit_mb = mb(binary_bytes) + slack_mb
    measured = {"size_mb": round(report.size_mb, 2), "limit_mb": round(limit_mb, 2)}
    if report.size_mb > limit_mb:
        return _say(
            CheckResult(
                False,
                f"{report.size_mb:.1f} MB is more than the binary's {mb(binary_bytes):.1f} MB plus "
                f"{slack_mb:g} MB. Hint: the binary is static (CGO_ENABLED=0); which of the final base "
                "image's files does it need at run time?",
                measured,
            )
        )
    return _say(
        CheckResult(
            True,
            f"{report.size_mb:.1f} MB, at most {slack_mb:g} MB more than the binary; /health answers 200.",
            measured,
        )
    )


@_recorded
def check_python_non_root(dockerfile_text: str, client: docker.DockerClient | None = None) -> CheckResult:
    """Exercise (notebook 03): the Python image must run as a non-root user and still serve /health.

    Args:
        dockerfile_text: The learner's Dockerfile for ``sample_apps/python``.
        client: Docker client.

    Returns:
        The :class:`CheckResult` (also printed).
    """
    client = client_or_connect(client)
    try:
        report = build_text("python", dockerfile_text, client=client)
    except MultistageError as exc:
        return _say(CheckResult(False, f"the image must build. {exc}"))
    info = facts(client, report.image_id)
    measured = {"user": info.user or "root", "size_mb": round(report.size_mb, 1)}
    if info.runs_as_root:
        return _say(
            CheckResult(
                False,
                f"the image runs as {info.user or 'root'}. Hint: `pip install --user` put the packages "
                "in root's home; where does Python look when another user runs it?",
                measured,
            )
        )
    health = smoke_test(client, report.image_id, APPS["python"].port, check=False)
    if not health.ok:
        return _say(
            CheckResult(
                False, f"it runs as {info.user}, but /health does not answer: {health.error}", measured
            )
        )
    return _say(CheckResult(True, f"runs as {info.user} and /health answers 200.", measured))


@_recorded
def check_one_dockerfile(
    dockerfile_text: str, pattern: BuilderPattern, client: docker.DockerClient | None = None
) -> CheckResult:
    """Exercise (notebook 00): the builder pattern's two Dockerfiles as one multi-stage Dockerfile.

    The answer is built against ``sample_apps/go`` with no script and no binary in the
    context: it must have two stages or more, serve /health, and give an image the size of the
    builder pattern's run image (within 5 %).

    Args:
        dockerfile_text: The learner's Dockerfile.
        pattern: The :class:`~multistage.experiments.overview.BuilderPattern` measured in the notebook.
        client: Docker client.
    """
    stages = parse_stages(dockerfile_text)
    if len(stages) < 2:
        return _say(
            CheckResult(
                False,
                "this Dockerfile has one stage, so the image carries the compiler. Hint: the pattern "
                "had two images; a Dockerfile can have two `FROM`s.",
            )
        )
    client = client_or_connect(client)
    try:
        report = build_text("go", dockerfile_text, client=client)
        smoke_test(client, report.image_id, APPS["go"].port)
    except MultistageError as exc:
        return _say(
            CheckResult(
                False,
                f"it must build and answer GET /health. {exc}\nHint: the script's `docker cp` took the "
                "binary out of the first image; in one Dockerfile, the second stage can take it itself.",
            )
        )
    measured = {"stages": len(stages), "size_mb": round(report.size_mb, 2)}
    target = pattern.run_image.size
    if abs(report.size - target) > 0.05 * target:
        return _say(
            CheckResult(
                False,
                f"{report.size_mb:.1f} MB, where the builder pattern's run image is "
                f"{pattern.run_image.size_mb:.1f} MB. Hint: the image is the last stage only; what "
                "does that stage start from, and what does it copy?",
                measured,
            )
        )
    return _say(
        CheckResult(
            True,
            f"{len(stages)} stages in one file, {report.size_mb:.1f} MB like the builder pattern's "
            "run image, and /health answers 200 — no script, no binary through the host.",
            measured,
        )
    )


@_recorded
def check_go_cache_mount(
    dockerfile_text: str,
    cold_seconds: float | None = None,
    limit: float = 0.25,
    client: docker.DockerClient | None = None,
) -> CheckResult:
    """Exercise (notebook 07): after a source edit, the Go image rebuilds in at most ``limit`` of a cold build.

    Measures, with BuildKit, the answer built once and rebuilt after a fresh source edit,
    against a ``--no-cache`` build of the document's Go Dockerfile; the rebuilt image must
    serve ``/health``.

    Args:
        dockerfile_text: The learner's Dockerfile for ``sample_apps/go``.
        cold_seconds: The cold build's seconds, if the notebook measured them already.
        limit: The largest rebuild/cold ratio that passes.
        client: Docker client.

    Returns:
        The :class:`CheckResult` (also printed).
    """
    client = client_or_connect(client)
    if mount_builder(client) is None:
        return CheckResult(False, "not checked: no builder on this engine keeps a cache mount.")
    try:
        if cold_seconds is None:
            cold_seconds = APPS["go"].build("multi", client=client, nocache=True).seconds
        rebuilt = run_scenarios(
            "go",
            edits=["source edit"],
            dockerfile_text=dockerfile_text,
            client=client,
        ).rebuilds["source edit"]
        smoke_test(client, rebuilt.image_id, APPS["go"].port)
    except MultistageError as exc:
        return _say(CheckResult(False, f"the image must build and answer GET /health. {exc}"))
    ratio = rebuilt.seconds / cold_seconds
    measured = {"cold_s": cold_seconds, "rebuild_s": rebuilt.seconds, "ratio": round(ratio, 2)}
    if ratio > limit:
        return _say(
            CheckResult(
                False,
                f"after a source edit the rebuild took {rebuilt.seconds:.1f} s, {ratio:.2f} of the cold "
                f"{cold_seconds:.1f} s. Hint: Go keeps what it compiled in its build cache "
                "(`go env GOCACHE`); which directory must outlive the `go build` step?",
                measured,
            )
        )
    return _say(
        CheckResult(
            True,
            f"the rebuild took {rebuilt.seconds:.1f} s, {ratio:.2f} of the cold {cold_seconds:.1f} s; /health answers 200.",
            measured,
        )
    )
