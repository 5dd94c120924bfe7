"""Exercise checkers: build the learner's answer for real and say pass or fail, with a hint."""

from __future__ import annotations

from dataclasses import dataclass, field

import docker

from .apps import APPS, build_text
from .containers import smoke_test
from .contents import facts, files_by_stage, node_modules
from .dockerfile import parse_stages
from .engine import client_or_connect
from .errors import MultistageError
from .experiments.edits import run_scenarios
from .experiments.named_stages import FAILING_TESTS
from .experiments.overview import SecretLeak
from .lint import hadolint, serious

__all__ = [
    "CheckResult",
    "check_go_cache_mount",
    "check_go_small_image",
    "check_node_production_only",
    "check_python_non_root",
    "check_hadolint_clean",
    "check_secret_layer",
    "check_tests_gate_the_image",
    "check_third_stage",
]


@dataclass
class CheckResult:
    """The verdict on an exercise answer."""

    passed: bool
    message: str
    measured: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return ("✅ PASS: " if self.passed else "❌ NOT YET: ") + self.message


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
                "Hint: install with `npm ci --omit=dev` in a stage of its own and copy node_modules from there.",
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
        report = build_text(app, dockerfile_text, client=client, progress=False, **options)
        smoke_test(client, report.image_id, APPS[app].port)
    except MultistageError as exc:
        return client, _say(CheckResult(False, f"the image must build and answer GET /health. {exc}"))
    return client, report


def check_tests_gate_the_image(
    dockerfile_text: str, client: docker.DockerClient | None = None, builder: str = "buildkit"
) -> CheckResult:
    """Exercise (notebook 04): a failing Go test must stop the build, under BuildKit too.

    Builds the answer twice against copies of ``sample_apps/go``: as is (it must build and
    serve /health, with a stage named ``test`` among the stages that ran), and with one
    deliberately failing test added (the build must fail on that test).

    Args:
        dockerfile_text: The learner's Dockerfile for ``sample_apps/go``.
        client: Docker client.
        builder: The builder to check with; BuildKit is the one that skips unneeded stages.

    Returns:
        The :class:`CheckResult` (also printed).
    """
    client, report = _build_and_serve("go", dockerfile_text, client, builder=builder)
    if isinstance(report, CheckResult):
        return report
    names = {s.index: s.name for s in parse_stages(dockerfile_text)}
    ran = sorted(names[i] or str(i) for i in report.stages_run)
    measured = {"stages_run": ran}
    if "test" not in ran:
        return _say(
            CheckResult(
                False,
                f"the {builder} build ran the stages {ran}, none named `test`. Hint: add "
                "`FROM builder AS test` with `RUN go test ./...`, and make the final stage copy from it.",
                measured,
            )
        )
    path, content = FAILING_TESTS["go"]
    try:
        build_text(
            "go", dockerfile_text, client=client, files={path: content}, builder=builder, progress=False
        )
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
            "depend on `test`, so the tests were skipped. Hint: COPY the binary `--from=test`.",
            measured,
        )
    )


def check_third_stage(
    dockerfile_text: str, client: docker.DockerClient | None = None, builder: str = "buildkit"
) -> CheckResult:
    """Exercise (notebook 05): the two-builder app's image must also hold a file from a third stage.

    Args:
        dockerfile_text: The learner's Dockerfile for ``sample_apps/fullstack``.
        client: Docker client.
        builder: The builder to check with.

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
        return _say(
            CheckResult(True, f"{path} came from stage `{others[0]}`; /health answers 200.", measured)
        )
    return _say(
        CheckResult(
            False,
            f"the final image's files came from {sources}. Hint: add a third named stage that "
            "writes a file, and COPY it `--from=` that stage in the final stage.",
            measured,
        )
    )


def check_hadolint_clean(
    dockerfile_text: str, app: str = "python", client: docker.DockerClient | None = None
) -> CheckResult:
    """Exercise (notebook 06): hadolint finds no warning or error, and the image still serves /health.

    Args:
        dockerfile_text: The learner's Dockerfile for ``sample_apps/<app>``.
        app: The sample app it builds.
        client: Docker client.

    Returns:
        The :class:`CheckResult` (also printed).
    """
    findings = serious(hadolint({"answer": dockerfile_text}))
    measured = {"findings": list(findings["code"])}
    if len(findings):
        first = findings.iloc[0]
        return _say(
            CheckResult(
                False,
                f"hadolint still reports {', '.join(findings['code'])}; line {first['line']}: {first['message']}",
                measured,
            )
        )
    client, report = _build_and_serve(app, dockerfile_text, client)
    if isinstance(report, CheckResult):
        return report
    return _say(CheckResult(True, "no hadolint warning or error, and /health answers 200.", measured))


def _say(result: CheckResult) -> CheckResult:
    print(result)
    return result


def check_go_small_image(
    dockerfile_text: str, limit_mb: float = 8.0, client: docker.DockerClient | None = None
) -> CheckResult:
    """Exercise (notebook 02): the Go image must be under ``limit_mb`` and still serve /health.

    Args:
        dockerfile_text: The learner's Dockerfile for ``sample_apps/go``.
        limit_mb: The size to get under, in MB (10^6 bytes).
        client: Docker client.

    Returns:
        The :class:`CheckResult` (also printed).
    """
    client, report = _build_and_serve("go", dockerfile_text, client)
    if isinstance(report, CheckResult):
        return report
    measured = {"size_mb": round(report.size_mb, 2), "limit_mb": limit_mb}
    if report.size_mb >= limit_mb:
        return _say(
            CheckResult(
                False,
                f"{report.size_mb:.1f} MB is not under {limit_mb:.0f} MB. Hint: the binary is static "
                "(CGO_ENABLED=0), so the final stage can start FROM scratch - copy the CA bundle too "
                "if the program makes HTTPS calls.",
                measured,
            )
        )
    return _say(CheckResult(True, f"{report.size_mb:.1f} MB and /health answers 200.", measured))


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
        report = build_text("python", dockerfile_text, client=client, progress=False)
    except MultistageError as exc:
        return _say(CheckResult(False, f"the image must build. {exc}"))
    info = facts(client, report.image_id)
    measured = {"user": info.user or "root", "size_mb": round(report.size_mb, 1)}
    if info.runs_as_root:
        return _say(
            CheckResult(
                False,
                f"the image runs as {info.user or 'root'}. Hint: add a user, give it the installed "
                "packages where Python looks for them (its own ~/.local), and switch to it with USER.",
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


def check_secret_layer(answer: int | None, leak: SecretLeak) -> CheckResult:
    """Exercise (notebook 00): which layer of the one-stage image still holds the deleted token?

    Args:
        answer: The learner's layer number (0 = oldest layer).
        leak: The :class:`~multistage.experiments.overview.SecretLeak` measured in the notebook.
    """
    layers = sorted({hit.layer for hit in leak.single_hits if leak.token.encode() in hit.content})
    if answer in layers:
        return _say(
            CheckResult(
                True, f"layer {answer} holds the token, although a later step deleted it.", {"layers": layers}
            )
        )
    return _say(
        CheckResult(
            False,
            f"{answer!r} is not it. Hint: the token is in the layer made by `COPY token.txt .`; "
            "the printout of the layer search names it.",
            {"layers": layers},
        )
    )


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
    try:
        if cold_seconds is None:
            cold_seconds = (
                APPS["go"]
                .build("multi", client=client, builder="buildkit", nocache=True, progress=False)
                .seconds
            )
        rebuilt = run_scenarios(
            "go",
            edits=["source edit"],
            dockerfile_text=dockerfile_text,
            client=client,
            builder="buildkit",
            progress=False,
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
                f"{cold_seconds:.1f} s. Hint: mount Go's build cache (/root/.cache/go-build) with "
                "`RUN --mount=type=cache,target=...` on the `go build` step.",
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
