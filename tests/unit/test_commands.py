"""The command line a learner would type for each build, on each kind of engine."""

from pathlib import Path

import pytest

from multistage.build import learner_command
from multistage.results import BuildRequest

REQUEST = BuildRequest(
    "Dockerfile.stages",
    tag="multistage-tutorial/node:stages",
    target="production",
    build_args={"NODE_IMAGE": "multistage-local/node-builder:18"},
    labels={"io.github.multistage-tutorial.project": "multistage-tutorial"},
)
OPTIONS = (
    "-f sample_apps/node/Dockerfile.stages --target production -t multistage-tutorial/node:stages "
    "--build-arg NODE_IMAGE=multistage-local/node-builder:18 sample_apps/node"
)


def _engine(version: str):
    return type("Engine", (), {"version": lambda self: {"Version": version}})()


@pytest.mark.parametrize(
    ("version", "builder", "through_cli", "expected"),
    [
        ("20.10.24+dfsg1", "buildkit", False, f"DOCKER_BUILDKIT=1 docker build {OPTIONS}"),
        ("20.10.24+dfsg1", "classic", False, f"docker build {OPTIONS}"),
        ("26.1.5+dfsg1", "buildkit", False, f"docker build {OPTIONS}"),
        ("26.1.5+dfsg1", "classic", False, f"DOCKER_BUILDKIT=0 docker build {OPTIONS}"),
        ("26.1.5+dfsg1", "buildkit", True, f"docker buildx build {OPTIONS}"),
        ("4.3.1", "buildah", False, f"podman build {OPTIONS}"),
    ],
)
def test_each_build_names_the_command_a_learner_would_type(version, builder, through_cli, expected):
    command = learner_command(_engine(version), builder, through_cli, Path("sample_apps/node"), REQUEST)
    assert command == expected
    assert "--label" not in command, "the project's own labels are not part of the lesson"
