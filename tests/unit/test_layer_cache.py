"""The layer-listing cache: each layer listed once per digest, an image exported only when needed.

A fake engine serves a `docker save` archive built here (classic layout), so the export
count can be checked without an engine.
"""

import hashlib
import io
import json
import tarfile

import pytest

from multistage import listings
from multistage.errors import MultistageError


def _layer_tar(members) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


BASE = _layer_tar([("etc/secret.txt", b"old"), ("root/.bashrc", b"alias"), ("app/token.txt", b"t0k3n")])
# A root-level whiteout and a root-level dot file: names that start with "." at the top.
TOP = _layer_tar([(".wh.etc", b""), (".profile", b"x"), ("app/.wh.token.txt", b"")])


class _Image:
    def __init__(self, digests, size):
        self.id = "sha256:" + "ab" * 32
        self.attrs = {"RootFS": {"Layers": digests}, "Size": size}


class _FakeEngine:
    """Just enough of docker.DockerClient: images.get and api.get_image, counting exports."""

    def __init__(self, layers, listed=None):
        self.exports = 0
        digests = ["sha256:" + hashlib.sha256(layer).hexdigest() for layer in layers]
        config = json.dumps({"rootfs": {"type": "layers", "diff_ids": digests}}).encode()
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            names = []
            for index, layer in enumerate(layers):
                names.append(f"{index:064x}/layer.tar")
                _add(tar, names[-1], layer)
            _add(tar, "config.json", config)
            _add(tar, "manifest.json", json.dumps([{"Config": "config.json", "Layers": names}]).encode())
        self.archive = buffer.getvalue()
        self.image = _Image(listed if listed is not None else digests, len(self.archive))
        self.images = self
        self.api = self

    def get(self, ref):
        return self.image

    def get_image(self, image_id):
        self.exports += 1
        return [self.archive[i : i + 4096] for i in range(0, len(self.archive), 4096)]


def _add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MULTISTAGE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_an_image_is_exported_once_and_its_layers_are_then_read_from_the_cache():
    engine = _FakeEngine([BASE, TOP])
    first = listings.layer_listings(engine, "img")
    assert engine.exports == 1
    again = listings.layer_listings(_FakeEngine([BASE, TOP]), "img")
    assert again == first
    assert len(list(listings.cache_dir().glob("sha256-*.json.gz"))) == 2


def test_root_level_whiteouts_and_dot_files_keep_their_meaning():
    tree = listings.merge_listings(listings.layer_listings(_FakeEngine([BASE, TOP]), "img"))
    assert tree.resolve("/etc/secret.txt") is None, "`.wh.etc` at the root deletes /etc"
    assert tree.is_file("/root/.bashrc") and tree.is_file("/.profile")
    assert tree.resolve("/app/token.txt") is None
    assert not any(".wh." in path or path in ("/wh.etc", "/profile") for path in tree.entries)


def test_a_layer_shared_by_two_images_is_listed_once():
    listings.layer_listings(_FakeEngine([BASE]), "base")
    engine = _FakeEngine([BASE, TOP])
    listings.layer_listings(engine, "app")
    assert engine.exports == 1, "the top layer was new, so the image was exported once"
    assert len(list(listings.cache_dir().glob("*.json.gz"))) == 2


def test_a_deleted_file_is_found_in_its_layer_with_one_export_even_when_uncached():
    engine = _FakeEngine([BASE, TOP])
    hits = listings.find_in_layers(engine, "img", "token.txt")
    assert [(h.layer, h.path, h.content) for h in hits] == [(0, "/app/token.txt", b"t0k3n")]
    assert engine.exports == 1
    cached = _FakeEngine([BASE, TOP])
    assert listings.find_in_layers(cached, "img", "missing.txt") == [] and cached.exports == 0


def test_an_unreadable_cache_file_is_made_again():
    listings.layer_listings(_FakeEngine([BASE, TOP]), "img")
    for path in listings.cache_dir().glob("*.json.gz"):
        path.write_bytes(b"\x1f\x8b truncated")
    engine = _FakeEngine([BASE, TOP])
    assert len(listings.layer_listings(engine, "img")) == 2 and engine.exports == 1


def test_an_export_that_holds_other_layers_than_the_image_lists_is_refused_before_anything_is_written():
    engine = _FakeEngine([BASE, TOP], listed=["sha256:" + "0" * 64, "sha256:" + "1" * 64])
    with pytest.raises(MultistageError, match="holds other layers than the image lists"):
        listings.layer_listings(engine, "img")
    assert not list(listings.cache_dir().glob("*.json.gz"))
