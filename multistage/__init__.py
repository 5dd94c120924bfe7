"""Helpers for the multi-stage Docker builds tutorial: engine, base images, builds, inspection.

The layers, lowest first; a module imports only from modules listed before it (docs/architecture.md):

- ``errors``, ``labels``, ``results`` (BuildReport, Step), ``progress``
- ``engine`` (reach a Docker engine), ``dockerfile`` (the one parser), ``listings`` (an image's layers,
  read once), ``contents`` (what is inside an image)
- ``classic``, ``buildkit`` — the two builders: start a build, turn its messages into steps
- ``profiles`` (which base images), ``bases`` (any Dockerfile's bases mapped), ``build`` (the one build function), ``provision``
- ``containers``, ``apps`` (the sample apps), ``edits`` (edit and rebuild)
- ``experiments`` (one module per notebook), ``lint``, ``charts``, ``analyze``, ``claims``, ``exercises``
- ``clean``, ``bundle``, ``doctor``, ``runner`` (``make run``), ``cli``
"""

import pandas as pd

from .build import available_builders, build
from .engine import connect, ensure_engine
from .errors import (
    BaseImageUnavailable,
    BuildFailed,
    ContainerFailed,
    DockerfileError,
    EngineUnavailable,
    MultistageError,
    NotEnoughDisk,
    UnknownName,
    UsageError,
)
from .profiles import Profile, active_profile
from .provision import base_status
from .results import BuildReport, Step

__version__ = "0.1.0"

# Tables show text whole: a hadolint message or a path cut at pandas' 50 characters misleads.
pd.set_option("display.max_colwidth", None)

__all__ = [
    "BaseImageUnavailable",
    "BuildFailed",
    "BuildReport",
    "ContainerFailed",
    "DockerfileError",
    "EngineUnavailable",
    "MultistageError",
    "NotEnoughDisk",
    "UnknownName",
    "UsageError",
    "Profile",
    "Step",
    "active_profile",
    "available_builders",
    "base_status",
    "build",
    "connect",
    "ensure_engine",
]
