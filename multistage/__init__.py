"""Helpers for the multi-stage Docker builds tutorial: engine, base images, builds, inspection."""

from .bases import Profile, active_profile, base_status, provision
from .build import BuildReport, Step, build, parse_stream
from .engine import connect, ensure_engine
from .errors import (
    BaseImageUnavailable,
    BuildFailed,
    ContainerFailed,
    EngineUnavailable,
    MultistageError,
    NotEnoughDisk,
)

__version__ = "0.1.0"

__all__ = [
    "BaseImageUnavailable",
    "BuildFailed",
    "BuildReport",
    "ContainerFailed",
    "EngineUnavailable",
    "MultistageError",
    "NotEnoughDisk",
    "Profile",
    "Step",
    "active_profile",
    "base_status",
    "build",
    "connect",
    "ensure_engine",
    "parse_stream",
    "provision",
]
