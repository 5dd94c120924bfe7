"""Integration tests need a real engine: skipped with the reason only when none answers and CI is unset."""

import os
import shutil
import stat
import tarfile
import tempfile
import uuid

import pytest

from multistage import MultistageError, active_profile, connect
from multistage.labels import CONTAINER, project_labels


def pytest_collection_modifyitems(config, items):
    # A module may leave out some combinations of its parameters (its `leaves_out(test, params)`):
    # deselected here, so they are neither run nor reported as skipped.
    dropped = {id(item) for item in items if _left_out(item)}
    if dropped:
        config.hook.pytest_deselected(items=[item for item in items if id(item) in dropped])
        items[:] = [item for item in items if id(item) not in dropped]


def _left_out(item) -> bool:
    rule = getattr(getattr(item, "module", None), "leaves_out", None)
    callspec = getattr(item, "callspec", None)
    return bool(rule and callspec and rule(item.originalname, callspec.params))


@pytest.fixture(scope="session")
def client():
    try:
        client = connect(timeout=600)
    except MultistageError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so integration tests must run, but: {exc}")
        pytest.skip(f"no Docker engine reachable ({exc})")
    active_profile(client)
    return client


@pytest.fixture
def tagger(client):
    """Hand out unique tags in the project's namespace; remove those images afterwards."""
    made = []

    def tag(name: str) -> str:
        ref = f"multistage-tutorial/test-{name}:{uuid.uuid4().hex[:8]}"
        made.append(ref)
        return ref

    yield tag
    for ref in made:
        try:
            client.images.remove(ref, force=True)
        except Exception:
            pass


@pytest.fixture
def app_copy(tmp_path, fixtures):
    """Copy a fixture app to a temporary directory, so tests can edit it."""

    def copy(name: str):
        target = tmp_path / name
        shutil.copytree(fixtures / name, target)
        return target

    return copy


@pytest.fixture
def exported_bytes():
    """``exported_bytes(client, image)``: the bytes of the regular files in ``docker export`` of a container of it.

    Independent of the layer listings the package reads; equal to their total for an image whose
    layers overwrite and delete nothing.
    """
    return _exported_bytes


def _exported_bytes(client, image: str) -> int:
    # A command of its own: an image without CMD or ENTRYPOINT cannot be created otherwise (it never starts).
    container = client.containers.create(image, ["true"], labels=project_labels(**{CONTAINER: "export"}))
    try:
        with tempfile.TemporaryFile() as archive:
            for chunk in container.export():
                archive.write(chunk)
            archive.seek(0)
            with tarfile.open(fileobj=archive) as tar:
                return sum(member.size for member in tar if member.isreg())
    finally:
        container.remove(force=True)


#: A docker CLI without the buildx plugin, as a learner's may be: the CLI's own answer to ``docker buildx``.
_CLI_WITHOUT_BUILDX = """#!/bin/sh
if [ "$1" = buildx ]; then
  echo "docker: 'buildx' is not a docker command." >&2
  exit 1
fi
exec {docker} "$@"
"""


@pytest.fixture
def cli_without_buildx(tmp_path, monkeypatch):
    """Put a docker CLI that lacks the buildx plugin first on PATH, for this process and its kernels."""
    cli = tmp_path / "bin" / "docker"
    cli.parent.mkdir()
    cli.write_text(_CLI_WITHOUT_BUILDX.format(docker=shutil.which("docker")))
    cli.chmod(cli.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{cli.parent}:{os.environ['PATH']}")
    return cli
