"""`python -m multistage progress`: each checker's verdict kept on this laptop, shown per exercise."""

import pytest

from multistage import exercises
from multistage.cli import main
from multistage.errors import MultistageError
from multistage.exercises import EXERCISES, CheckResult, read_progress


@pytest.fixture
def laptop(tmp_path, monkeypatch):
    monkeypatch.setenv("MULTISTAGE_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_every_checker_is_an_exercise_and_records_its_verdict():
    checkers = {name for name in exercises.__all__ if name.startswith("check_")}
    assert checkers == set(EXERCISES), "each checker has its notebook and sentence in EXERCISES"
    assert all(hasattr(getattr(exercises, name), "__wrapped__") for name in checkers), "each one records"


def test_progress_shows_passed_not_yet_and_untried(laptop, capsys):
    def check_go_small_image(passed):
        return CheckResult(passed, "the image is 9.1 MB" if not passed else "6.2 MB, serves /health")

    def check_python_non_root():
        raise MultistageError("The Dockerfile failed at RUN pip install")

    recorded = exercises._recorded(check_go_small_image)
    recorded(False)
    recorded(True)
    recorded(False)
    with pytest.raises(MultistageError):
        exercises._recorded(check_python_non_root)()
    assert main(["progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    go = next(line for line in lines if line.split()[1] == "02")
    python = next(line for line in lines if line.split()[1] == "03")
    assert go.startswith("✗") and "passed earlier" in go and "9.1 MB" in go
    assert python.startswith("✗") and "RUN pip install" in python
    assert sum(line.startswith("·") for line in lines) == len(EXERCISES) - 2
    assert lines[-1] == f"0 of {len(EXERCISES)} exercises passed on this laptop."
    recorded(True)
    main(["progress"])
    assert (
        capsys.readouterr().out.splitlines()[-1] == f"1 of {len(EXERCISES)} exercises passed on this laptop."
    )
    assert main(["progress", "--reset"]) == 0 and read_progress() == {}
