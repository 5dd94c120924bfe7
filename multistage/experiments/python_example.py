"""Experiments of notebook 03 (Python example): do the builder and the runtime load the same compiled code?"""

from __future__ import annotations

import docker
import pandas as pd

from ..apps import APPS
from ..containers import run_command
from ..dockerfile import global_args
from ..engine import client_or_connect
from ..profiles import active_profile
from ..progress import quiet

__all__ = ["ABI_PROBE", "interpreter_match"]

#: Prints the Python version, the C library and the suffix a compiled extension must carry.
ABI_PROBE = (
    "import platform, sysconfig; "
    "print(platform.python_version(), ' '.join(platform.libc_ver()), sysconfig.get_config_var('EXT_SUFFIX'), sep='|')"
)


def interpreter_match(client: docker.DockerClient | None = None) -> pd.DataFrame:
    """Run the same probe in the document's Python builder base and runtime base, as the active profile has them.

    A C extension compiled in the builder loads in the runtime only when both have the same
    Python version, C library and extension suffix.

    Returns:
        One row per role (``builder``, ``runtime``): image, Python version, C library, extension suffix.
    """
    client = client_or_connect(client)
    profile = active_profile(client, say=quiet)
    images = global_args(APPS["python"].dockerfile_text("multi"))
    rows = {}
    for role, arg in (("builder", "PYTHON_IMAGE"), ("runtime", "PYTHON_SLIM_IMAGE")):
        image = profile.resolve(images[arg])
        python, libc, suffix = run_command(client, image, ["python3", "-c", ABI_PROBE]).strip().split("|")
        rows[role] = {
            "image": image,
            "python": python,
            "C library": libc or "none found",
            "extension suffix": suffix,
        }
    return pd.DataFrame(rows).T
