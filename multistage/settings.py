"""Every setting the package reads from the environment, in one place; the README lists them.

Each is read when it is used (``setting.value()``), not at import, so a notebook kernel, a test
or a command that sets one sees it take effect. The internal ones are channels from ``make run``
to the notebook kernels it starts; nobody sets them by hand.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = [
    "CACHE_DIR",
    "CLAIMS_FILE",
    "DEBIAN_MIRROR",
    "ENGINE",
    "EXTRA_CA_CERTS",
    "PROFILE",
    "PROGRESS_FILE",
    "SETTINGS",
    "Setting",
]


@dataclass(frozen=True)
class Setting:
    """One ``MULTISTAGE_*`` environment variable: its name, its default and what it changes."""

    name: str
    default: str
    meaning: str
    internal: bool = False

    def value(self) -> str:
        """The variable's value with surrounding spaces removed, or the default when unset or blank."""
        return os.environ.get(self.name, "").strip() or self.default


PROFILE = Setting(
    "MULTISTAGE_PROFILE",
    "auto",
    "base images: `auto` (official where a registry answers, else local stand-ins), `official` or `local`",
)
ENGINE = Setting(
    "MULTISTAGE_ENGINE",
    "",
    "`podman`: use (or install and start) Podman's Docker-compatible API instead of Docker",
)
CACHE_DIR = Setting(
    "MULTISTAGE_CACHE_DIR",
    "",
    "where layer listings, exercise verdicts and the kit's state are kept (default: `~/.cache/multistage`)",
)
DEBIAN_MIRROR = Setting(
    "MULTISTAGE_DEBIAN_MIRROR",
    "http://deb.debian.org/debian",
    "the Debian mirror debootstrap builds the local bases from",
)
EXTRA_CA_CERTS = Setting(
    "MULTISTAGE_EXTRA_CA_CERTS",
    "host",
    "extra CA certificates the local bases trust: `host` (this machine's), a `.crt` file or a "
    "directory of them, or `none`",
)
PROGRESS_FILE = Setting(
    "MULTISTAGE_PROGRESS_FILE",
    "",
    "where a notebook kernel reports its experiment, build and step to `make run`'s progress bar",
    internal=True,
)
CLAIMS_FILE = Setting(
    "MULTISTAGE_CLAIMS_FILE",
    "",
    "where notebooks 00 and 06 append their judged claims for `make run`'s report page",
    internal=True,
)

#: Every setting, in the order the README lists them.
SETTINGS = (PROFILE, ENGINE, CACHE_DIR, DEBIAN_MIRROR, EXTRA_CA_CERTS, PROGRESS_FILE, CLAIMS_FILE)
