"""Base images: provisioning is idempotent, the offline bundle round-trips, doctor is green."""

import dataclasses

import docker
import pytest

from multistage import provision as prov
from multistage.bundle import export_bundle, import_bundle
from multistage.doctor import run_checks
from multistage.errors import BaseImageUnavailable, MultistageError, NotEnoughDisk
from multistage.profiles import active_profile
from multistage.progress import quiet
from multistage.provision import base_status, provision

# One test removes a base and imports it back, others compare the bases before and after:
# nothing may build on them or add one meanwhile.
pytestmark = pytest.mark.alone


@pytest.fixture
def local_only(client):
    if active_profile(client).name != "local":
        pytest.skip("the official profile is active; local bases are not used")


def test_provisioning_again_reuses_every_current_base(client, local_only):
    # make setup provisioned them: their recipes' hashes still match, so nothing is built again.
    said = []
    provision(client, say=said.append)
    assert said == ["Local base images are present and current."]


def test_local_bases_carry_labels_saying_what_they_stand_in_for(client, local_only):
    for status in base_status(client):
        labels = client.images.get(status.recipe.tag).labels
        assert labels["io.github.multistage-tutorial.project"] == "multistage-tutorial"
        assert labels["io.github.multistage-tutorial.stands-in-for"].startswith(
            status.recipe.stands_in_for[0]
        )


def test_bundle_round_trip_restores_a_removed_base(client, local_only, tmp_path):
    bundle = tmp_path / "bases.tar"
    manifest = export_bundle(client, bundle, names=["static", "busybox"], say=quiet)
    assert [e["tag"] for e in manifest["images"]] == [
        "multistage-local/busybox:bookworm",
        "multistage-local/static:bookworm",
    ]
    static = client.images.get("multistage-local/static:bookworm")
    client.images.remove("multistage-local/static:bookworm")
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("multistage-local/static:bookworm")
    try:
        import_bundle(client, bundle, say=quiet)
    finally:
        restored = client.images.get("multistage-local/static:bookworm")
    assert restored.id == static.id and restored.labels == static.labels


def test_importing_something_that_is_not_a_bundle_is_one_sentence(client, tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar")
    with pytest.raises(MultistageError, match="not a multistage bundle"):
        import_bundle(client, junk, say=quiet)
    with pytest.raises(MultistageError, match="no bundle at"):
        import_bundle(client, tmp_path / "missing.tar", say=quiet)


def test_doctor_is_all_green_on_a_set_up_machine(client):
    failed = [f"{c.label}: {c.detail}" for c in run_checks() if not c.ok]
    assert not failed, failed


def _base_ids(client):
    return {s.recipe.tag: s.image_id for s in base_status(client)}


def test_too_little_disk_refuses_before_building_anything(client, local_only, monkeypatch):
    real = prov.engine_facts
    monkeypatch.setattr(prov, "engine_facts", lambda c: dataclasses.replace(real(c), free_bytes=10**6))
    before = _base_ids(client)
    with pytest.raises(NotEnoughDisk, match=r"needs about \d+ GB free"):
        prov.provision(client, force=True, say=quiet)
    assert _base_ids(client) == before


def test_an_unreachable_mirror_names_debootstrap_and_the_way_out(client, local_only, monkeypatch):
    monkeypatch.setenv("MULTISTAGE_DEBIAN_MIRROR", "http://127.0.0.1:9/debian")
    before = _base_ids(client)
    with pytest.raises(BaseImageUnavailable) as caught:
        prov.provision(client, force=True, say=quiet)
    message = str(caught.value)
    assert "debootstrap failed" in message and "bundle import" in message
    assert _base_ids(client) == before, "a failed provisioning leaves the existing bases as they were"
