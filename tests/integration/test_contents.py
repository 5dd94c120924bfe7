"""Reading real images' files and layers without running them."""

from multistage import build
from multistage.contents import facts, largest_paths, layers_dataframe
from multistage.listings import file_tree
from multistage.profiles import active_profile


def test_final_image_has_the_artefact_but_not_the_builder_input(client, app_copy, tagger, exported_bytes):
    report = build(app_copy("two-stage"), tag=tagger("inspect"), client=client, progress=False)
    tree = file_tree(client, report.image_id)
    assert tree.is_file("/app/shout.txt")
    assert tree.resolve("/src/message.txt") is None, "the builder stage's files stay in the builder"
    info = facts(client, report.image_id)
    assert info.shell is not None and info.compilers == ()
    assert info.file_count > 0
    assert info.size == exported_bytes(client, report.image_id), (
        "the size is the bytes of the image's files, as `docker export` of a container of it counts them"
    )


def test_layers_are_attributed_to_instructions_and_base(client, app_copy, tagger):
    report = build(app_copy("two-stage"), tag=tagger("layers"), client=client, progress=False)
    rows = layers_dataframe(client, report)
    added = list(rows[~rows["from_base"]]["instruction"])
    assert added[:3] == [
        "WORKDIR /app",
        "COPY --from=builder /src/shout.txt .",
        'CMD ["cat", "/app/shout.txt"]',
    ]
    assert round(rows["size_mb"].sum() * 1e6) == report.size
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
