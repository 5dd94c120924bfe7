"""Podman's Docker-compatible build stream, recorded from Debian's podman 4.3.1, read into the same steps.

Recorded with `podman system service` on a unix socket and the Docker SDK's `api.build`, the
fixtures' ALPINE_IMAGE set to the busybox stand-in loaded into Podman's store (see record.py).
"""

from multistage import classic
from multistage.build import _drop_label_steps, read_recording
from multistage.engine import engine_kind


def _parse(recordings, name):
    return classic.parse(read_recording(recordings / f"{name}.jsonl"))


def test_steps_numbered_per_stage_by_podman_are_numbered_across_the_build(recordings):
    parsed = _parse(recordings, "podman-two-stage-cold")
    assert [s.number for s in parsed.steps] == list(range(1, 10))
    assert [s.stage for s in parsed.steps] == [0, 0, 0, 0, 1, 1, 1, 1, 1]
    assert parsed.steps[0].stage_name == "builder" and parsed.steps[4].stage_name is None
    assert parsed.steps[6].instruction == "COPY --from=builder /src/shout.txt ."
    assert parsed.image_id.startswith("sha256:") and parsed.error is None


def test_the_label_step_podman_appends_for_the_labels_option_is_not_counted(recordings):
    steps = _parse(recordings, "podman-two-stage-cold").steps
    assert steps[-1].instruction == 'LABEL "io.github.multistage-tutorial.project"="multistage-tutorial"'
    kept = _drop_label_steps(steps, {"io.github.multistage-tutorial.project": "multistage-tutorial"})
    assert kept == steps[:-1], "only the appended label step goes; the Dockerfile's own steps stay"


def test_stages_after_one_buildah_skipped_keep_their_dockerfile_index(recordings, fixtures):
    text = (fixtures / "unused-stage" / "Dockerfile").read_text()
    steps = classic.parse(read_recording(recordings / "podman-unused-stage.jsonl"), text).steps
    assert "unused" not in {s.stage_name for s in steps}, "Buildah skips the stage nothing needs"
    assert [(s.stage, s.stage_name) for s in steps if s.keyword == "FROM"] == [(1, "builder"), (2, None)]


def test_podmans_using_cache_marks_the_step_cached(recordings):
    cold = _parse(recordings, "podman-two-stage-cold")
    cached = _parse(recordings, "podman-two-stage-cached")
    assert not any(s.cached for s in cold.steps if s.does_work)
    assert all(s.cached for s in cached.steps)


def test_a_failing_step_is_named_from_podmans_error(recordings):
    parsed = _parse(recordings, "podman-failing")
    assert parsed.failed.instruction == 'RUN echo "about to fail" && exit 3'
    assert "exit status 3" in parsed.error and parsed.image_id is None


def test_the_engine_is_named_from_what_it_says_of_itself():
    # Components as Debian's podman 4.3.1 and docker.io 20.10 report them; Docker Desktop's OS name.
    podman = {"Components": [{"Name": "Podman Engine"}, {"Name": "Conmon"}, {"Name": "OCI Runtime (runc)"}]}
    docker = {"Components": [{"Name": "Engine"}, {"Name": "containerd"}, {"Name": "runc"}]}
    assert engine_kind(podman, {"OperatingSystem": "debian"}) == "Podman"
    assert engine_kind(docker, {"OperatingSystem": "Debian GNU/Linux 12 (bookworm)"}) == "Docker Engine"
    assert engine_kind(docker, {"OperatingSystem": "Docker Desktop"}) == "Docker Desktop"
