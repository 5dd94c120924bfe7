"""The project's cache directory on this machine, and atomic writes into it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from . import settings

__all__ = [
    "cache_root",
    "write_atomically",
]


def cache_root() -> Path:
    """``$MULTISTAGE_CACHE_DIR``, else ``multistage/`` in the user's cache directory (``$XDG_CACHE_HOME``, ``~/.cache``)."""
    configured = settings.CACHE_DIR.value()
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "multistage"


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the whole new one, never a part.

    Notebooks may run at the same time and share the cache.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False, suffix=".tmp") as handle:
        handle.write(data)
    os.replace(handle.name, path)
