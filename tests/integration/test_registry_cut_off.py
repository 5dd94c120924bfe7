"""One registry answers, another is cut off: the profile is decided per registry, and a build mixes them.

No public registry answers on this project's machines, so the registry that answers is a real
one the test starts on 127.0.0.1 (Debian's ``docker-registry``, the CNCF distribution server),
holding a copy of a tutorial image under the tutorial's own name; gcr.io is the registry cut
off, as it is here for real. The document's images are swapped for the one the local registry
serves plus gcr.io's distroless image, so ``auto`` sees one registry that lets it pull and one
that does not — the situation of a firewall that lets Docker Hub through but not gcr.io.
"""

import shutil
import subprocess
import time
import urllib.request

import pytest

from multistage import profiles
from multistage.build import build
from multistage.engine import apt_install, can_start_engine_here
from multistage.profiles import LOCAL, RECIPES_BY_NAME, active_profile
from multistage.progress import quiet

PORT = 5077
DISTROLESS = "gcr.io/distroless/static-debian12"
SERVED = f"127.0.0.1:{PORT}/multistage-local/busybox:bookworm"


@pytest.fixture
def registry(client, tmp_path):
    """A registry on 127.0.0.1 holding the busybox stand-in as ``SERVED``; stopped and removed afterwards."""
    if shutil.which("docker-registry") is None:
        if not can_start_engine_here():
            pytest.skip("needs Debian's docker-registry (root on Debian/Ubuntu installs it)")
        apt_install(["docker-registry"], say=quiet)
    config = tmp_path / "config.yml"
    config.write_text(
        f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path / 'storage'}\n"
        f"http:\n  addr: 127.0.0.1:{PORT}\n"
    )
    server = subprocess.Popen(
        ["docker-registry", "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/v2/", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "the local registry did not answer"
                time.sleep(0.3)
        image = client.images.get(RECIPES_BY_NAME["busybox"].tag)
        image.tag(SERVED)
        for line in client.images.push(SERVED, stream=True, decode=True):
            assert "error" not in line, line
        client.images.remove(SERVED)  # the engine must pull it back to have it
        yield SERVED
    finally:
        server.terminate()
        server.wait(timeout=30)
        try:
            client.images.remove(SERVED)
        except Exception:
            pass


def test_with_gcr_io_cut_off_only_distroless_is_stood_in_and_the_build_mixes_them(
    client, registry, tmp_path, tagger, monkeypatch
):
    monkeypatch.setattr(
        profiles, "DOCUMENT_IMAGES", {registry: "minimal image", DISTROLESS: "distroless runtime"}
    )
    monkeypatch.setattr(profiles, "REGISTRY_PROBES", {f"127.0.0.1:{PORT}": registry, "gcr.io": DISTROLESS})
    monkeypatch.setattr(profiles, "_active", None)
    monkeypatch.setenv("MULTISTAGE_PROFILE", "auto")
    said = []
    profile = active_profile(client, say=said.append)

    assert (profile.name, profile.stood_in) == ("mixed", ("gcr.io",))
    assert len(said) == 1 and said[0].startswith(
        f"Base-image profile: official, with local stand-ins for gcr.io images (official images, except "
        f"{DISTROLESS} (distroless runtime): local stand-in, gcr.io not reachable ("
    ), said
    assert profile.resolve(registry) == registry, "the image of the registry that answers stays as named"

    (tmp_path / "Dockerfile").write_text(
        f"ARG SHELL_IMAGE={registry}\nARG STATIC_IMAGE={DISTROLESS}\n"
        "FROM ${SHELL_IMAGE} AS build\nRUN echo built > /built.txt\n"
        "FROM ${STATIC_IMAGE}\nCOPY --from=build /built.txt /built.txt\n"
    )
    report = build(tmp_path, tag=tagger("mixed"), client=client, progress=False)
    assert report.build_args == {"STATIC_IMAGE": LOCAL.resolve(DISTROLESS)}, (
        "only gcr.io's image is replaced; the other is pulled from its registry as named"
    )
    assert report.profile_label == "official, with local stand-ins for gcr.io images"
    layers = client.images.get(report.image_id).attrs["RootFS"]["Layers"]
    stand_in = client.images.get(LOCAL.resolve(DISTROLESS)).attrs["RootFS"]["Layers"]
    assert layers[: len(stand_in)] == stand_in, "the final image is built on the distroless stand-in"
    assert registry in {tag for image in client.images.list() for tag in image.tags}, (
        "the engine pulled the served image"
    )
