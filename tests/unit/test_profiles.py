"""Choosing the base-image profile and mapping official images to local stand-ins."""

import shutil

import pytest

from multistage import provision
from multistage.clean import is_removable
from multistage.errors import BaseImageUnavailable, MultistageError
from multistage.labels import PROJECT, PROJECT_VALUE
from multistage.profiles import DOCUMENT_IMAGES, LOCAL, LOCAL_NAMESPACE, RECIPES, decide_profile
from multistage.provision import recipe_hash


@pytest.mark.parametrize(
    ("requested", "present", "pull_error", "expected"),
    [
        ("auto", True, None, "official"),
        ("auto", False, None, "official"),
        ("auto", False, "no such host", "local"),
        ("local", True, None, "local"),
        ("official", False, "no such host", "official"),
    ],
)
def test_profile_decision(requested, present, pull_error, expected):
    name, reason = decide_profile(requested, present, pull_error)
    assert name == expected
    if name == "local" and requested == "auto":
        assert pull_error in reason


def test_unknown_profile_is_one_clear_sentence():
    with pytest.raises(MultistageError, match="MULTISTAGE_PROFILE"):
        decide_profile("fast", False, None)


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
