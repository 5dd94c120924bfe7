"""Choosing the base-image profile and mapping official images to local stand-ins."""

import shutil
from pathlib import Path

import pytest

from multistage import provision
from multistage.clean import is_removable
from multistage.errors import BaseImageUnavailable, MultistageError
from multistage.labels import LOCAL_NAMESPACE, PROJECT, PROJECT_VALUE
from multistage.profiles import DOCUMENT_IMAGES, LOCAL, RECIPES, decide_profile, registry_of
from multistage.provision import recipe_hash
from multistage.settings import SETTINGS

#: What pulling each registry's probe image said on this project's machines (engine 20.10, no registry).
DOCKER_HUB_DOWN = 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host'
GCR_DOWN = 'Get "https://gcr.io/v2/": dial tcp: lookup gcr.io on 10.255.255.53:53: no such host'


@pytest.mark.parametrize(
    ("requested", "present", "unreachable", "expected"),
    [
        ("auto", True, {}, "official"),
        ("auto", False, {}, "official"),
        ("auto", False, {"docker.io": DOCKER_HUB_DOWN, "gcr.io": GCR_DOWN}, "local"),
        ("auto", False, {"gcr.io": GCR_DOWN}, "mixed"),
        ("local", True, {}, "local"),
        ("official", False, {"docker.io": DOCKER_HUB_DOWN}, "official"),
    ],
)
def test_profile_decision(requested, present, unreachable, expected):
    profile = decide_profile(requested, present, unreachable)
    assert profile.name == expected
    if requested == "auto" and unreachable:
        assert next(iter(unreachable.values())) in profile.reason


def test_a_served_kit_makes_auto_local_even_with_the_official_images_present():
    assert decide_profile("auto", True, {}, kit_served=True).name == "local"
    assert decide_profile("official", True, {}, kit_served=True).name == "official", "asked for: kept"


def test_with_one_registry_cut_off_only_its_images_are_stood_in_and_the_reason_says_so_once():
    profile = decide_profile("auto", False, {"gcr.io": GCR_DOWN})
    assert profile.resolve("gcr.io/distroless/static-debian12") == LOCAL.resolve(
        "gcr.io/distroless/static-debian12"
    )
    assert profile.resolve("golang:1.21") == "golang:1.21", "Docker Hub's images stay official"
    assert profile.build_args_for(
        "ARG G=golang:1.21\nARG D=gcr.io/distroless/static-debian12\nFROM ${G}\n"
    ) == {"D": LOCAL.resolve("gcr.io/distroless/static-debian12")}
    assert profile.reason.startswith(
        "official images, except gcr.io/distroless/static-debian12 (distroless runtime): local stand-in, gcr.io not reachable"
    )
    assert profile.label == "official, with local stand-ins for gcr.io images"


def test_registry_of_a_reference():
    assert [
        registry_of(r) for r in ("alpine:latest", "library/node:18", "gcr.io/distroless/static-debian12")
    ] == [
        "docker.io",
        "docker.io",
        "gcr.io",
    ]
    assert registry_of("localhost:5000/x/y:1") == "localhost:5000"


def test_unknown_profile_is_one_clear_sentence():
    with pytest.raises(MultistageError, match="MULTISTAGE_PROFILE"):
        decide_profile("fast", False, {})


def test_every_document_image_has_a_local_stand_in_in_our_namespace():
    for ref in DOCUMENT_IMAGES:
        assert LOCAL.resolve(ref).startswith(LOCAL_NAMESPACE + "/"), ref


def test_local_tags_never_use_an_official_name():
    official = {ref.split(":")[0] for recipe in RECIPES for ref in recipe.stands_in_for}
    for recipe in RECIPES:
        assert recipe.tag.split(":")[0] not in official


def test_build_args_swap_only_arg_defaults_the_profile_knows():
    text = "ARG NODE_IMAGE=node:18\nARG OTHER=x\nFROM ${NODE_IMAGE}\n"
    assert LOCAL.build_args_for(text) == {"NODE_IMAGE": LOCAL.resolve("node:18")}


def test_a_recipe_hash_changes_with_its_own_and_its_parents_files_only(tmp_path, monkeypatch):
    by_name = {r.name: r for r in RECIPES}
    before = {r.name: recipe_hash(r) for r in RECIPES}
    assert len(set(before.values())) == len(RECIPES), "every recipe has its own hash"
    shutil.copytree(provision.RECIPES_DIR, tmp_path / "recipes")
    monkeypatch.setattr(provision, "RECIPES_DIR", tmp_path / "recipes")
    assert {r.name: recipe_hash(r) for r in RECIPES} == before, "the hash depends on content, not on where"
    parent = tmp_path / "recipes" / "buildpack.Dockerfile"
    parent.write_text(parent.read_text() + "# changed\n")
    after = {r.name: recipe_hash(r) for r in RECIPES}
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {"buildpack", "node-builder", "go-builder", "python-builder"}, changed
    assert by_name["node-builder"].parent == "buildpack"


def test_clean_only_takes_labelled_images_tagged_in_our_namespaces():
    ours = {PROJECT: PROJECT_VALUE}
    assert is_removable(ours, [])
    assert is_removable(ours, ["multistage-local/node-builder:18", "multistage-tutorial/go:multi"])
    assert is_removable(
        ours, ["docker.io/multistage-tutorial/go:multi", "localhost/multistage-local/static:bookworm"]
    ), "Podman names the same images in full"
    assert not is_removable(ours, ["docker.io/library/myapp:latest", "localhost/myapp:latest"])
    assert not is_removable(ours, ["myapp:latest"]), (
        "a user's image built FROM a tutorial base inherits the label"
    )
    assert not is_removable({}, ["multistage-tutorial/go:multi"])
    assert not is_removable(None, [])


def test_local_profile_explains_a_literal_official_from_and_an_unknown_base():
    with pytest.raises(BaseImageUnavailable, match=r"names node:18 directly in FROM.*ARG BASE_IMAGE=node:18"):
        LOCAL.check_bases(None, ["node:18"], dockerfile="Dockerfile")
    with pytest.raises(
        BaseImageUnavailable, match="ubuntu:22.04, which the local profile has no stand-in for"
    ):
        LOCAL.check_bases(None, ["ubuntu:22.04"], dockerfile="Dockerfile")


def test_the_readme_lists_every_setting_with_its_default():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for setting in SETTINGS:
        default = f"`{setting.default}`" if setting.default else "(unset)"
        assert f"| `{setting.name}` | {default} |" in readme, f"README's settings table lacks {setting.name}"
