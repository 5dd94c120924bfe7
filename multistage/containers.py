"""Run containers of the project's images: always labelled, always removed afterwards."""

from __future__ import annotations

import docker

from . import labels as lbl
from .errors import MultistageError


def run_command(client: docker.DockerClient, image: str, command: list[str], timeout: float = 60) -> str:
    """Run ``command`` in a fresh container of ``image`` and return what it printed.

    The container has no published ports, carries the project's container label and is
    removed afterwards, also when the command fails or times out.

    Raises:
        MultistageError: The command exited non-zero or did not finish within ``timeout``.
    """
    container = client.containers.create(
        image, command=command, labels=lbl.project_labels(**{lbl.CONTAINER: "run"})
    )
    try:
        container.start()
        try:
            status = container.wait(timeout=timeout)
        except Exception as exc:  # requests raises its own timeout types
            raise MultistageError(
                f"`{' '.join(command)}` in {image} did not finish within {timeout:.0f} s."
            ) from exc
        output = container.logs(stdout=True, stderr=True).decode(errors="replace").strip()
        if status.get("StatusCode", 1) != 0:
            raise MultistageError(
                f"`{' '.join(command)}` in {image} exited with {status.get('StatusCode')}: {output[-300:]}"
            )
        return output
    finally:
        container.remove(force=True)
