"""Exceptions the package raises: one base class, one subclass per kind of failure."""

from __future__ import annotations

__all__ = [
    "BaseImageUnavailable",
    "BuildFailed",
    "ContainerFailed",
    "DockerfileError",
    "EngineUnavailable",
    "MultistageError",
    "NotEnoughDisk",
    "UnknownName",
    "UsageError",
]


class MultistageError(Exception):
    """Base class: the message is one sentence naming the problem and the fix."""


class UnknownName(MultistageError, KeyError):
    """A name that is not there: a sample app, a variant, a stage, a step. Also a ``KeyError``,
    so code that looks names up can catch it as one; a learner sees its sentence."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UsageError(MultistageError):
    """What the learner passed cannot be used: a path, an argument, a setting's value, a kit or a bundle."""


class DockerfileError(MultistageError):
    """A Dockerfile cannot be read or parsed as given (encoding, instruction, no FROM, heredocs the
    engine cannot parse); the sentence names the line where there is one."""


class EngineUnavailable(MultistageError):
    """No Docker engine answers and none could be started."""


class BaseImageUnavailable(MultistageError):
    """A base image is missing and could not be pulled or provisioned."""


class NotEnoughDisk(MultistageError):
    """Provisioning would run out of disk; raised before anything is created."""


class _WithLogTail(MultistageError):
    """A failure that carries the last lines of a log and shows them under its sentence."""

    log_name = "log"

    def __init__(self, message: str, log_tail: list[str] | None = None):
        super().__init__(message)
        self.log_tail = list(log_tail or [])

    def __str__(self) -> str:
        text = super().__str__()
        if self.log_tail:
            text += f"\n  last lines of the {self.log_name}:\n" + "\n".join(
                "    " + line for line in self.log_tail
            )
        return text


class BuildFailed(_WithLogTail):
    """A Dockerfile step failed.

    Attributes:
        step: The failing step's instruction text (e.g. ``RUN npm run build``),
            or ``None`` when the engine failed before any step started.
        line: The Dockerfile line of the failing step, or the line a parse error names
            (``None`` when the engine names none).
        log_tail: The last lines the build printed, the error line included.
        log: What the build printed before it failed (what :attr:`log_tail` ends): the failing
            step's lines under BuildKit, the whole build's output under the classic builder and
            Podman; for a reader that looks for a cause further up.
        seconds: How long the build ran before it failed, as its progress line says (``None``
            where the error was made outside :func:`~multistage.build.build`).
    """

    log_name = "build log"

    def __init__(
        self,
        message: str,
        step: str | None = None,
        log_tail: list[str] | None = None,
        line: int | None = None,
        seconds: float | None = None,
        log: list[str] | None = None,
    ):
        super().__init__(message, log_tail)
        self.step = step
        self.line = line
        self.seconds = seconds
        self.log = list(log) if log is not None else list(self.log_tail)


class ContainerFailed(_WithLogTail):
    """A container did not do what was expected (exited early, never answered).

    Attributes:
        log_tail: The container's last log lines.
    """

    log_name = "container log"
