"""Reading real images' files and layers without running them."""

from multistage import build
from multistage.bases import active_profile
from multistage.inspect import facts, largest_paths, layers


def test_final_image_has_the_artefact_but_not_the_builder_input(client, app_copy, tagger):
    from multistage.inspect import file_tree

    report = build(app_copy("two-stage"), tag=tagger("inspect"), client=client, progress=False)
    tree = file_tree(client, report.image_id)
    assert tree.is_file("/app/shout.txt")
    assert tree.resolve("/src/message.txt") is None, "the builder stage's files stay in the builder"
    info = facts(client, report.image_id)
    assert info.shell is not None and info.compilers == ()
    assert info.file_count > 0 and info.size == report.size


def test_layers_are_attributed_to_instructions_and_base(client, app_copy, tagger):
    report = build(app_copy("two-stage"), tag=tagger("layers"), client=client, progress=False)
    base = active_profile(client).resolve("alpine:latest")
    rows = layers(client, report.image_id, base=base)
    added = [r.instruction for r in rows if not r.from_base]
    assert added[0] == "WORKDIR /app"
    assert any(i.startswith("COPY ") for i in added) and any(i.startswith("CMD ") for i in added)
    assert sum(r.size for r in rows) == report.size
    assert "/app" in set(largest_paths(client, report.image_id, depth=1)["path"])


def test_builder_and_distroless_style_bases_differ_as_their_roles_say(client):
    profile = active_profile(client)
    builder = facts(client, profile.resolve("golang:1.21"))
    assert "go" in builder.compilers and builder.shell
    if profile.name == "local":
        static = facts(client, profile.resolve("gcr.io/distroless/static-debian12"))
        assert static.shell is None and static.package_managers == () and static.compilers == ()
        minimal = facts(client, profile.resolve("alpine:latest"))
        assert minimal.shell and minimal.compilers == () and minimal.size < 10e6
