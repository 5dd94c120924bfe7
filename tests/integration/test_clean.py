"""`clean` removes the project's images and containers and never a user's."""

import pytest

from multistage import build
from multistage.clean import clean
from multistage.profiles import RECIPES, active_profile
from multistage.progress import quiet


@pytest.mark.alone
def test_clean_spares_user_images_and_containers(client, tmp_path, fixtures):
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "Dockerfile").write_text("FROM scratch\nCOPY f /f\n")
    (plain / "f").write_text("mine\n")
    derived = tmp_path / "derived"
    derived.mkdir()
    # Built FROM a tutorial base, so it inherits the project label: still the user's image.
    base = active_profile(client).resolve("alpine:latest")
    (derived / "Dockerfile").write_text(f"FROM {base}\nRUN echo mine > /mine\n")
    user_plain, _ = client.images.build(path=str(plain), tag="user-owned/plain:1", rm=True)
    user_derived, _ = client.images.build(path=str(derived), tag="user-owned/derived:1", rm=True)
    user_container = client.containers.create(user_derived.id, command=["true"])
    ours = build(
        fixtures / "two-stage", tag="multistage-tutorial/test-clean:1", client=client, progress=False
    )
    try:
        result = clean(client, keep_bases=True, say=quiet)
        assert client.images.get("user-owned/plain:1").id == user_plain.id
        assert client.images.get("user-owned/derived:1").id == user_derived.id
        assert user_container.id in {c.id for c in client.containers.list(all=True)}, (
            "the user's container stays"
        )
        assert not client.images.list(name="multistage-tutorial/test-clean")
        assert result.images >= 1
        if active_profile(client).name == "local":
            kept = {tag for image in client.images.list() for tag in image.tags}
            assert {recipe.tag for recipe in RECIPES} <= kept, "--keep-bases keeps every base"
        assert ours.image_id not in {i.id for i in client.images.list(all=True)}
    finally:
        user_container.remove(force=True)
        client.images.remove("user-owned/derived:1", force=True)
        client.images.remove("user-owned/plain:1", force=True)
