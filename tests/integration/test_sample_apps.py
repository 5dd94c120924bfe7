"""Every sample app variant builds on the active profile, serves /health, and makes its point."""

import json
import uuid

import pytest

from multistage import BuildFailed, ContainerFailed, active_profile, build
from multistage.apps import APPS, copy_app
from multistage.containers import run_command, smoke_test
from multistage.contents import facts
from multistage.listings import file_tree
from multistage.progress import quiet

pytestmark = pytest.mark.slow  # real builds of every variant or answer: minutes

VARIANTS = [(app.name, variant) for app in APPS.values() for variant in app.dockerfiles]


@pytest.fixture(scope="module")
def built(client):
    """Build each variant once per module (cached builds after the first run)."""
    reports = {}

    def get(app: str, variant: str):
        if (app, variant) not in reports:
            reports[app, variant] = APPS[app].build(variant, client=client, progress=False)
        return reports[app, variant]

    return get


@pytest.mark.parametrize(("app", "variant"), VARIANTS)
def test_variant_builds_and_answers_health_on_localhost(client, built, app, variant):
    report = built(app, variant)
    result = smoke_test(client, report.image_id, APPS[app].port)
    body = json.loads(result.body)
    assert result.status == 200 and body["status"] == "ok"
    assert body["app"] == f"{app}-app" and body["version"] == "1.0.0"
    # By its id: another worker's notebook may run a container of the same (cached, so identical) image.
    assert result.container and not client.containers.list(
        all=True, sparse=True, filters={"id": result.container}
    )


@pytest.mark.parametrize("app", ["node", "go", "python"])
def test_best_is_no_bigger_than_the_documents_multi_stage_which_beats_single_stage(built, app):
    single, multi, best = (built(app, v).size for v in ("single", "multi", "best"))
    assert best <= multi < single, (
        f"{app}: best {best / 1e6:.1f} MB, multi {multi / 1e6:.1f} MB, single {single / 1e6:.1f} MB"
    )


def test_go_best_image_is_hardly_more_than_its_binary(client, built):
    report = built("go", "best")
    binary = file_tree(client, report.image_id).entries["/server"].size
    assert report.size <= 1.05 * binary, f"image {report.size} B vs binary {binary} B"


def test_python_best_serves_without_a_compiler_and_as_non_root(client, built):
    info = facts(client, built("python", "best").image_id)
    assert info.compilers == (), info.compilers
    assert not info.runs_as_root
    tree = file_tree(client, built("python", "best").image_id)
    assert any(
        p.startswith("/opt/venv/lib/python3.11/site-packages/ujson") and p.endswith(".so")
        for p in tree.entries
    ), "ujson was compiled in the build stage and its extension module shipped"


def test_node_best_ships_no_development_dependency_while_the_documents_example_does(client, built):
    dev = json.loads((APPS["node"].path / "package.json").read_text())["devDependencies"]

    def installed(variant):
        tree = file_tree(client, built("node", variant).image_id)
        return {name for name in dev if tree.resolve(f"/app/node_modules/{name}/package.json")}

    assert installed("best") == set()
    assert installed("multi") == set(dev), "the document's example copies all of node_modules"


def test_the_test_stage_fails_the_build_when_a_unit_test_fails(client, tmp_path):
    app = copy_app("node", tmp_path)
    test_file = app / "test" / "app.test.ts"
    test_file.write_text(test_file.read_text().replace("toBe(200)", "toBe(418)"))
    with pytest.raises(BuildFailed) as caught:
        build(app, "Dockerfile.stages", target="test", client=client, progress=False)
    assert caught.value.step == "RUN npm test"


def test_a_container_that_exits_early_shows_its_last_log_lines(client, tmp_path, tagger):
    (tmp_path / "Dockerfile").write_text(
        'ARG ALPINE_IMAGE=alpine:latest\nFROM ${ALPINE_IMAGE}\nCMD ["sh", "-c", "echo cannot open config.yml; exit 3"]\n'
    )
    image = build(tmp_path, tag=tagger("exits"), client=client, progress=False).image_id
    with pytest.raises(ContainerFailed) as caught:
        smoke_test(client, image, 8080, timeout=20)
    assert "exited with code 3" in str(caught.value)
    assert "cannot open config.yml" in caught.value.log_tail
    assert not client.containers.list(all=True, sparse=True, filters={"ancestor": image}), (
        "removed after failing"
    )


def test_a_container_that_never_answers_times_out_and_is_removed(client, tmp_path, tagger):
    (tmp_path / "Dockerfile").write_text(
        f'ARG ALPINE_IMAGE=alpine:latest\nFROM ${{ALPINE_IMAGE}}\nCMD ["sh", "-c", "echo {uuid.uuid4().hex}; sleep 60"]\n'
    )
    image = build(tmp_path, tag=tagger("silent"), client=client, progress=False).image_id
    with pytest.raises(ContainerFailed, match="did not answer GET /health"):
        smoke_test(client, image, 8080, timeout=3)
    assert not client.containers.list(all=True, sparse=True, filters={"ancestor": image})


@pytest.mark.parametrize("path", ["go", "fullstack/api"])
def test_go_code_passes_its_tests_in_the_profiles_go_builder(client, path):
    """``go test ./...`` in the image the Go stages build on, the source mounted read-only."""
    builder = active_profile(client, say=quiet).resolve("golang:1.21")
    output = run_command(
        client,
        builder,
        ["sh", "-c", "cp -r /src /tmp/app && cd /tmp/app && go test ./..."],
        mounts={APPS["go"].path.parent / path: "/src"},
        environment={"GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"},
        timeout=300,
    )
    assert any(line.startswith("ok ") for line in output.splitlines()), output
