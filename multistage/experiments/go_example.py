"""Experiments of notebook 02 (Go example): does a static binary on a bare image still speak HTTPS?"""

from __future__ import annotations

from dataclasses import dataclass

import docker

from ..containers import run_command

__all__ = [
    "HttpsCheck",
    "https_check",
]


@dataclass(frozen=True)
class HttpsCheck:
    """The Go app's ``fetch`` subcommand run in two images: with and without a CA bundle."""

    url: str
    with_ca: str
    without_ca: str

    @property
    def network_reachable(self) -> bool:
        """False when even the image with CA certificates could not reach ``url`` (offline room)."""
        return not self.with_ca.startswith("error:")

    @property
    def proves_ca_needed(self) -> bool:
        """True when the image with CAs got an answer and the one without failed to verify TLS."""
        return self.network_reachable and "certificate signed by unknown authority" in self.without_ca


def https_check(
    client: docker.DockerClient, with_ca: str, without_ca: str, url: str = "https://registry.npmjs.org/"
) -> HttpsCheck:
    """Run ``fetch url`` (the Go app's HTTPS probe) in two images built from ``sample_apps/go``."""

    def fetch(image: str) -> str:
        return run_command(client, image, ["fetch", url], check=False)

    return HttpsCheck(url, fetch(with_ca), fetch(without_ca))
