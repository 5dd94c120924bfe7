"""Re-record the real build streams and image archive the unit tests read.

Run with a reachable engine and provisioned bases:  python tests/unit/recordings/record.py
Each recording is a real build of a fixture under tests/fixtures, written as JSON lines of
{"t": seconds since start, "msg": engine message}.

BuildKit through buildx (buildx-*.jsonl): run with MULTISTAGE_RECORD=buildx; it starts the harness
engine with the containerd image store, where builds go through `docker buildx build --progress=rawjson`
(the docker CLI with its buildx plugin must be installed).

The pull stream (pull-node-18.jsonl): run with MULTISTAGE_RECORD=pull; it starts the harness engine
(Docker 26 in a container) with its Docker Hub mirror, and records the engine pulling node:18 through it.

Podman's streams (podman-*.jsonl): start `podman system service --time=0 unix:///run/podman-test/podman.sock`,
load a base into its store (`docker save multistage-local/busybox:bookworm | podman load`), and run
with MULTISTAGE_PODMAN_SOCKET=unix:///run/podman-test/podman.sock.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
import time
from pathlib import Path

import docker

from multistage import BuildFailed, build, connect
from multistage.build import available_builders
from multistage.bundle import export_bundle, import_bundle
from multistage.harness import serve_document_images, start_engine, stop_engine
from multistage.profiles import recipes_for

HERE = Path(__file__).parent
FIXTURES = HERE.parent.parent / "fixtures"


def main() -> None:
    client = connect()
    build(FIXTURES / "two-stage", record=HERE / "two-stage-cold.jsonl", nocache=True, client=client)
    build(FIXTURES / "two-stage", record=HERE / "two-stage-cached.jsonl", client=client)
    try:
        build(FIXTURES / "failing", record=HERE / "failing.jsonl", nocache=True, client=client)
    except BuildFailed:
        pass
    report = build(FIXTURES / "whiteouts", record=HERE / "whiteouts.jsonl", client=client)
    save_added_layers(client, report.image_id, HERE / "whiteouts-image.tar")
    build(FIXTURES / "unused-stage", record=HERE / "unused-stage.jsonl", nocache=True, client=client)
    for kind in ("cold", "cached"):
        build(
            FIXTURES / "two-stage",
            builder="buildkit",
            record=HERE / f"buildkit-two-stage-{kind}.jsonl",
            nocache=kind == "cold",
            client=client,
        )
    for fixture in ("unused-stage", "from-stage", "failing", "parallel-failure", "scratch-final"):
        try:
            build(
                FIXTURES / fixture,
                builder="buildkit",
                record=HERE / f"buildkit-{fixture}.jsonl",
                nocache=True,
                client=client,
            )
        except BuildFailed:
            pass  # the failing fixtures fail on purpose: their stream is the recording


def record_podman(socket: str) -> None:
    """Podman's compatible build stream, raw: the two-stage fixture cold and cached, the failing one, and one
    with a stage the target does not need (Buildah skips it)."""
    client = docker.DockerClient(base_url=socket, timeout=600)
    for fixture, out, nocache in (
        ("two-stage", "podman-two-stage-cold", True),
        ("two-stage", "podman-two-stage-cached", False),
        ("failing", "podman-failing", True),
        ("unused-stage", "podman-unused-stage", True),
    ):
        started, lines = time.monotonic(), []
        messages = client.api.build(
            path=str(FIXTURES / fixture),
            buildargs={"ALPINE_IMAGE": "multistage-local/busybox:bookworm"},
            labels={"io.github.multistage-tutorial.project": "multistage-tutorial"},
            tag=f"multistage-tutorial/podman-{fixture}:rec",
            nocache=nocache,
            rm=True,
            forcerm=True,
            decode=True,
        )
        for message in messages:
            lines.append({"t": round(time.monotonic() - started, 4), "msg": message})
        (HERE / f"{out}.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))


def record_buildx() -> None:
    """The fixtures built through ``docker buildx build`` on Docker 26 with the containerd image store."""
    host = connect()
    engine = start_engine(host, "containerd")
    try:
        client = engine.connect()
        with tempfile.TemporaryDirectory() as tmp:
            export_bundle(host, Path(tmp) / "bases.tar", recipes=recipes_for(["alpine:latest"]))
            import_bundle(client, Path(tmp) / "bases.tar")
        assert available_builders(client)[0] == "buildkit"
        for fixture, out, nocache in (
            ("two-stage", "buildx-two-stage-cold", True),
            ("two-stage", "buildx-two-stage-cached", False),
            ("unused-stage", "buildx-unused-stage", True),
        ):
            build(FIXTURES / fixture, record=HERE / f"{out}.jsonl", nocache=nocache, client=client)
        try:
            build(FIXTURES / "failing", record=HERE / "buildx-failing.jsonl", nocache=True, client=client)
        except BuildFailed:
            pass
    finally:
        stop_engine(host, "containerd")


def record_pull() -> None:
    """A real pull of a several-layer image through a registry mirror, as ``docker pull`` streams it."""
    host = connect()
    engine = start_engine(host, "overlay2", mirror=True)
    try:
        serve_document_images(host, engine, ("docker.io",))
        started, lines = time.monotonic(), []
        for message in engine.connect().api.pull("node", tag="18", stream=True, decode=True):
            lines.append({"t": round(time.monotonic() - started, 4), "msg": message})
        (HERE / "pull-node-18.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    finally:
        stop_engine(host, "overlay2")


def save_added_layers(client, image_id: str, out: Path) -> None:
    """Save the image, keeping only the layers above its base (the base is large and not the point)."""
    raw = b"".join(client.api.get_image(image_id))
    with tarfile.open(fileobj=io.BytesIO(raw)) as src, tarfile.open(out, "w") as dst:
        manifest = json.load(src.extractfile("manifest.json"))
        keep = manifest[0]["Layers"][-2:]
        manifest[0]["Layers"] = keep
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        dst.addfile(info, io.BytesIO(data))
        for name in keep:
            member = src.getmember(name)
            if member.issym():  # OCI-style archives link duplicate layers; store the target
                member = src.getmember(str(Path(name).parent / member.linkname))
            data = src.extractfile(member).read()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))


if __name__ == "__main__":
    if os.environ.get("MULTISTAGE_RECORD") == "pull":
        record_pull()
    elif os.environ.get("MULTISTAGE_RECORD") == "buildx":
        record_buildx()
    elif os.environ.get("MULTISTAGE_PODMAN_SOCKET"):
        record_podman(os.environ["MULTISTAGE_PODMAN_SOCKET"])
    else:
        main()
