"""Base images: provisioning is idempotent, the offline bundle round-trips, doctor is green."""

import pytest

from multistage.bases import active_profile, base_status, provision
from multistage.bundle import export_bundle, import_bundle
from multistage.doctor import run_checks
from multistage.errors import MultistageError


@pytest.fixture
def local_only(client):
    if active_profile(client).name != "local":
        pytest.skip("the official profile is active; local bases are not used")


def test_provisioning_again_reuses_every_current_base(client, local_only):
    before = {s.recipe.tag: s.image_id for s in base_status(client)}
    said = []
    after = provision(client, say=said.append)
    assert said == ["Local base images are present and current."]
    assert {s.recipe.tag: s.image_id for s in after} == before
    assert all(s.current for s in after)


def test_local_bases_carry_labels_saying_what_they_stand_in_for(client, local_only):
    for status in base_status(client):
        labels = client.images.get(status.recipe.tag).labels
        assert labels["io.github.multistage-tutorial.project"] == "multistage-tutorial"
        assert labels["io.github.multistage-tutorial.stands-in-for"].startswith(
            status.recipe.stands_in_for[0]
        )


def test_bundle_round_trip_restores_a_removed_base(client, local_only, tmp_path):
    bundle = tmp_path / "bases.tar"
    manifest = export_bundle(client, bundle, names=["static", "busybox"], say=lambda _: None)
    assert [e["tag"] for e in manifest["images"]] == [
        "multistage-local/busybox:bookworm",
        "multistage-local/static:bookworm",
    ]
    static = client.images.get("multistage-local/static:bookworm")
    client.images.remove("multistage-local/static:bookworm")
    try:
        import_bundle(client, bundle, say=lambda _: None)
    finally:
        restored = client.images.get("multistage-local/static:bookworm")
    assert restored.id == static.id and restored.labels == static.labels


def test_importing_something_that_is_not_a_bundle_is_one_sentence(client, tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar")
    with pytest.raises(MultistageError, match="not a multistage bundle"):
        import_bundle(client, junk, say=lambda _: None)
    with pytest.raises(MultistageError, match="no bundle at"):
        import_bundle(client, tmp_path / "missing.tar", say=lambda _: None)


def test_doctor_is_all_green_on_a_set_up_machine(client):
    failed = [f"{c.label}: {c.detail}" for c in run_checks() if not c.ok]
    assert not failed, failed
