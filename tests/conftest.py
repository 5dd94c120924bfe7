"""Shared test setup: where the fixtures and recordings are, and reports made from recorded builds."""

from pathlib import Path

import pytest

from multistage import buildkit, classic
from multistage.build import read_recording
from multistage.results import BuildReport

TESTS = Path(__file__).parent

#: What each kind of test needs, by where it lives; `make test-fast` runs what needs none of it.
_NEEDS = {
    "integration": ("engine",),
    "native": ("toolchain",),
    "notebooks": ("engine", "notebook", "slow"),
    "browser": ("engine", "browser", "slow"),
}


#: `make test` runs on two workers, a file at a time (``--dist loadfile``), taking the files in
#: collection order: the costliest first, so that neither worker is left with a long file at the
#: end. The order is that of a fresh serial `make test` at 50ae71c (`--durations=0`, summed per
#: file: 499, 180, 161, 114, 96, 96, 85, 64, 42, 39 s); JupyterLab's run of notebook 02 comes
#: after the notebooks, so that 02's builds are usually in the cache by then. Files not named keep
#: their order after these.
COSTLIEST_FIRST = (
    "tests/integration/test_analyze.py",
    "tests/integration/test_exercises.py",
    "tests/integration/test_sample_apps.py",
    "notebooks/07-faster-rebuilds.ipynb",
    "notebooks/06-best-practices.ipynb",
    "notebooks/04-named-stages.ipynb",
    "notebooks/00-overview-and-benefits.ipynb",
    "notebooks/05-copying-from-multiple-stages.ipynb",
    "notebooks/08-your-own-dockerfile.ipynb",
    "notebooks/01-basic-example-node.ipynb",
    "notebooks/02-go-example.ipynb",
    "notebooks/03-python-example.ipynb",
    "tests/browser/test_jupyterlab.py",
)


#: `make test-engines` runs on two workers: one takes these files, whose engines have networks of
#: their own, the other every other file, one test after another: their containers sit on the
#: Docker engine's bridge, whose egress the kit's test cuts (``--dist loadgroup``, below).
OWN_NETWORK = ("tests/integration/test_podman.py", "tests/integration/test_remote_engine.py")


def pytest_xdist_make_scheduler(config, log):
    """With ``--dist loadgroup``: two groups of files, as :data:`OWN_NETWORK` says.

    xdist's own ``xdist_group`` mark cannot do this under pytest 9: xdist 3.8 renames a marked
    test through ``Item._nodeid``, which pytest 9 no longer reads, so every test became its own
    group and two workers started the same harness engine.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByNetwork(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "own network" if nodeid.split("::")[0] in OWN_NETWORK else "Docker's bridge"

    return ByNetwork(config, log)


def pytest_collection_modifyitems(config, items):
    for item in items:
        for folder, marks in _NEEDS.items():
            if folder in _relative(config, item).parts:
                for mark in marks:
                    item.add_marker(mark)
    # A test marked `alone` runs after every other: `make test` runs those on their own, after the
    # two workers are done (`clean` removes the project's images; others compare every container).
    items.sort(key=lambda item: (item.get_closest_marker("alone") is not None, _rank(config, item)))


def _relative(config, item) -> Path:
    return Path(str(item.fspath)).relative_to(config.rootpath)


def _rank(config, item) -> int:
    path = _relative(config, item).as_posix()
    return COSTLIEST_FIRST.index(path) if path in COSTLIEST_FIRST else len(COSTLIEST_FIRST)


@pytest.fixture
def recordings() -> Path:
    return TESTS / "unit" / "recordings"


@pytest.fixture
def fixtures() -> Path:
    return TESTS / "fixtures"


@pytest.fixture
def recorded_report(recordings, fixtures):
    """Make a :class:`BuildReport` from a recorded real build of a fixture (no engine needed)."""

    def make(name: str, builder: str = "classic", size: int = 1_000_000, recording: str | None = None):
        text = (fixtures / name / "Dockerfile").read_text()
        prefix = "buildkit-" if builder == "buildkit" else ""
        messages = read_recording(recordings / (recording or f"{prefix}{name}.jsonl"))
        parsed = (buildkit if builder == "buildkit" else classic).parse(messages, text)
        return BuildReport(
            image_id=parsed.image_id or "sha256:none",
            tags=[],
            size=size,
            builder=builder,
            profile_label="local",
            dockerfile="Dockerfile",
            context=str(fixtures / name),
            target=None,
            seconds=max((s.start + s.seconds for s in parsed.steps), default=0.0),
            steps=parsed.steps,
            dockerfile_text=text,
        )

    return make
