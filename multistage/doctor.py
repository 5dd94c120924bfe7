"""The `doctor` checklist: is this machine ready to run the tutorial, and with which bases?"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import docker

from . import labels as lbl
from .build import builder_path
from .engine import SLOW_STORAGE_DRIVERS, connect, engine_facts
from .errors import MultistageError
from .profiles import DOCUMENT_IMAGES, RECIPES_BY_NAME, active_profile
from .progress import quiet
from .provision import PROVISION_NEEDS_BYTES, base_status, extra_ca_certificates
from .results import mb

__all__ = [
    "Check",
    "print_checklist",
    "run_checks",
]


@dataclass
class Check:
    """One line of the checklist."""

    ok: bool
    label: str
    detail: str


def run_checks() -> list[Check]:
    """Run every check; a failure to reach the engine, or to choose a profile, ends the list early."""
    try:
        client = connect(timeout=30)
    except MultistageError as exc:
        return [Check(False, "Docker engine", str(exc))]
    checks = _engine_checks(client)
    try:
        profile = active_profile(client, say=quiet)
    except MultistageError as exc:
        return checks + [Check(False, "Base-image profile", str(exc))]
    checks.append(Check(True, "Base-image profile", f"{profile.label}: {profile.reason}"))
    checks += _base_checks(client, official=profile.name == "official")
    available, detail = builder_path(client)
    checks.append(
        Check(
            available,
            "Builder",
            detail if available else f"{detail}; the notebooks' BuildKit lessons are skipped",
        )
    )
    return checks + [_certificates_check(client)]


def _engine_checks(client: docker.DockerClient) -> list[Check]:
    """The engine, its image store, and the free disk where it keeps images."""
    facts = engine_facts(client)
    checks = [
        Check(
            True,
            "Docker engine",
            f"{facts.kind} {facts.server_version} (API {facts.api_version}) at {facts.host}",
        )
    ]
    # Docker's overlay2 and Podman's overlay are the same kernel overlay filesystem; the
    # drivers that copy layers (vfs) or are deprecated work, slowly.
    driver = facts.storage_driver
    if driver in SLOW_STORAGE_DRIVERS:
        checks.append(
            Check(False, "Image store", f"{driver}: copies whole layers or is deprecated; builds are slow")
        )
    else:
        checks.append(Check(True, "Image store", facts.store))
    if facts.free_bytes is None:
        checks.append(Check(True, "Free disk", "engine is remote; not measured from here"))
    else:
        checks.append(
            Check(
                facts.free_bytes >= PROVISION_NEEDS_BYTES,
                "Free disk",
                f"{facts.free_bytes / 1e9:.1f} GB in {facts.root_dir} (provisioning needs {PROVISION_NEEDS_BYTES / 1e9:.0f} GB)",
            )
        )
    return checks


def _base_checks(client: docker.DockerClient, official: bool) -> list[Check]:
    """One line per base image: the document's images on the official profile, else the local bases."""
    if official:
        checks = []
        for ref in DOCUMENT_IMAGES:
            try:
                size = client.images.get(ref).attrs["Size"]
                checks.append(Check(True, f"  {ref}", f"present, {mb(size):.0f} MB"))
            except docker.errors.ImageNotFound:
                checks.append(Check(False, f"  {ref}", "missing; it will be pulled on first use"))
        return checks
    return [
        Check(
            status.current,
            f"  {status.recipe.tag}",
            ("current" if status.current else ("out of date" if status.present else "missing"))
            + (f", {mb(status.size):.0f} MB" if status.size else "")
            + f" (for {status.recipe.stands_in_for[0]})",
        )
        for status in base_status(client)
    ]


def _certificates_check(client: docker.DockerClient) -> Check:
    """The extra CA certificates this machine gives the local bases, and those the bases carry."""
    certs = extra_ca_certificates()
    baked = "not provisioned"
    try:
        baked = (client.images.get(RECIPES_BY_NAME["debian-slim"].tag).labels or {}).get(lbl.EXTRA_CA, "none")
    except docker.errors.ImageNotFound:
        pass
    return Check(
        True,
        "Extra CA certificates",
        f"{', '.join(c.name for c in certs) or 'none'} (in local bases: {baked})",
    )


def print_checklist(checks: list[Check], stream=sys.stdout) -> bool:
    """Print the checklist in colour on a terminal; return True when every check passed."""
    color = stream.isatty()
    for check in checks:
        mark = "✓" if check.ok else "✗"
        if color:
            mark = f"\033[32m{mark}\033[0m" if check.ok else f"\033[31m{mark}\033[0m"
        print(f"{mark} {check.label}: {check.detail}", file=stream)
    return all(c.ok for c in checks)
