"""Exercise checkers: build the learner's answer for real and say pass or fail, with a hint."""

from __future__ import annotations

from dataclasses import dataclass, field

import docker

from .apps import APPS, build_text
from .containers import smoke_test
from .errors import MultistageError
from .inspect import facts, node_modules

__all__ = [
    "CheckResult",
    "check_go_small_image",
    "check_node_production_only",
    "check_python_non_root",
    "check_secret_layer",
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


def _build_and_serve(app: str, dockerfile_text: str, client: docker.DockerClient | None):
    """Build the answer and smoke-test it; return ``(client, report)``, or ``(client, failing CheckResult)``."""
    from .engine import connect

    client = client or connect()
    try:
        report = build_text(app, dockerfile_text, client=client, progress=False)
        smoke_test(client, report.image_id, APPS[app].port)
    except MultistageError as exc:
        return client, _say(CheckResult(False, f"the image must build and answer GET /health. {exc}"))
    return client, report


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
    from .engine import connect

    client = client or connect()
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


def check_secret_layer(answer: int | None, leak) -> CheckResult:
    """Exercise (notebook 00): which layer of the one-stage image still holds the deleted token?

    Args:
        answer: The learner's layer number (0 = oldest layer).
        leak: The :class:`multistage.scenarios.SecretLeak` measured in the notebook.
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
