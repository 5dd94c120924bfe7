"""The command line a learner would type for each build, on each kind of engine."""

from pathlib import Path

import pandas as pd
import pytest

from multistage import commands
from multistage.build import learner_command
from multistage.buildx import buildx_command
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
    assert command == expected, "the project's own labels are not part of the lesson"


def test_the_buildx_command_the_project_runs_carries_its_label():
    # Without it, `python -m multistage clean` could not find the images docker buildx built.
    command = buildx_command(Path("sample_apps/node"), REQUEST, iidfile="/tmp/iid")
    assert command[:4] == ["docker", "buildx", "build", "--load"]
    label = command.index("--label")
    assert command[label + 1] == "io.github.multistage-tutorial.project=multistage-tutorial"


def test_inspection_commands_are_the_ones_a_terminal_takes():
    assert commands.image_ref("sha256:" + "ab" * 32) == "abababababab"
    assert (
        commands.image_ref("sha256:" + "ab" * 32, ["multistage-tutorial/go:multi"])
        == "multistage-tutorial/go:multi"
    )
    assert commands.image_ls("docker", ["a/b:c", "d:e"]) == (
        "docker image ls --filter=reference=a/b:c --filter=reference=d:e"
    )
    assert commands.history("podman", "a/b:c") == "podman history a/b:c"
    assert commands.run("docker", "a/b:c", ["ls", "/root/.local/bin"], user="1000") == (
        "docker run --rm --user 1000 a/b:c ls /root/.local/bin"
    )
    assert commands.serve("docker", "a/b:c", 8080, "/health") == (
        "c=$(docker run -d --rm -p 127.0.0.1:8080:8080 a/b:c) && sleep 2 && curl -s http://127.0.0.1:8080/health; "
        'docker stop "$c"'
    )
    assert commands.file_listing("docker", "a/b:c") == (
        'c=$(docker create a/b:c) && docker export "$c" | tar -tv; docker rm "$c"'
    )


def test_a_table_shows_its_commands_above_it_in_a_notebook():
    frame = commands.with_commands(pd.DataFrame({"path": ["/app"], "mb": [1.0]}), ["docker history a<b"])
    html = commands._html(frame.head(1))
    assert html.startswith("<div><pre style='margin:0'>$ docker history a&lt;b</pre></div><div>"), (
        "attrs survive head()"
    )
    assert commands._html(pd.DataFrame({"x": [1]})).startswith("<div>\n<style"), "no commands, no line"
