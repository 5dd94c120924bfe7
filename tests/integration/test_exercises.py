"""Exercise checkers reject the starting point and accept the solution the notebook publishes."""

import json
import re
from pathlib import Path

import pytest

from multistage.apps import APPS
from multistage.exercises import (
    check_go_cache_mount,
    check_go_small_image,
    check_named_copy,
    check_node_production_only,
    check_one_dockerfile,
    check_python_non_root,
    check_tests_gate_the_image,
    check_third_stage,
)
from multistage.experiments.overview import builder_pattern
from multistage.listings import file_tree

pytestmark = pytest.mark.slow  # real builds of every variant or answer: minutes

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _starter(notebook: str) -> str:
    """The exercise cell's ``dockerfile = \"\"\"...\"\"\"`` as committed: the learner's starting point."""
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    text = next("".join(c["source"]) for c in cells if "".join(c["source"]).startswith('dockerfile = """'))
    return re.search(r'"""\\\n(.*?)"""', text, re.S)[1]


def _solution(notebook: str) -> str:
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    text = next("".join(c["source"]) for c in cells if "<summary>Solution</summary>" in "".join(c["source"]))
    return re.search(r"```dockerfile\n(.*?)```", text, re.S)[1]


def test_node_production_only_rejects_the_documents_example_and_accepts_the_solution(client, capsys):
    starter = check_node_production_only(APPS["node"].dockerfile_text("multi"), client=client)
    assert not starter.passed and starter.measured["dev_packages"] > 0
    assert "production" in capsys.readouterr().out, "the hint must point at what is wrong"
    solved = check_node_production_only(_solution("01-basic-example-node.ipynb"), client=client)
    assert solved.passed, solved.message
    assert str(solved).startswith("✅ PASS: ") and str(starter).startswith("❌ NOT YET: "), (
        "the line the notebook prints, as the instructor guide quotes it"
    )
    assert solved.measured["size_mb"] < starter.measured["size_mb"]


def test_a_dockerfile_that_does_not_build_is_a_clear_fail_not_a_crash(client):
    result = check_node_production_only(
        "ARG NODE_IMAGE=node:18\nFROM ${NODE_IMAGE}\nRUN exit 7\n", client=client
    )
    assert not result.passed and "RUN exit 7" in result.message


def test_go_small_image_rejects_the_documents_example_and_accepts_the_solution(client):
    document = APPS["go"].build("multi", client=client, progress=False)
    binary = file_tree(client, document.image_id).entries["/root/main"].size
    starter = check_go_small_image(APPS["go"].dockerfile_text("multi"), binary, client=client)
    assert not starter.passed and starter.measured["size_mb"] > starter.measured["limit_mb"]
    solved = check_go_small_image(_solution("02-go-example.ipynb"), binary, client=client)
    assert solved.passed, solved.message


def test_python_non_root_rejects_the_documents_example_and_accepts_the_solution(client):
    starter = check_python_non_root(APPS["python"].dockerfile_text("multi"), client=client)
    assert not starter.passed and starter.measured["user"] == "root"
    solved = check_python_non_root(_solution("03-python-example.ipynb"), client=client)
    assert solved.passed, solved.message


def test_one_dockerfile_rejects_the_pasted_pair_and_accepts_the_solution(client):
    pattern = builder_pattern(client, progress=False)
    starter = check_one_dockerfile(_starter("00-overview-and-benefits.ipynb"), pattern, client=client)
    assert not starter.passed and "docker cp" in starter.message
    solved = check_one_dockerfile(_solution("00-overview-and-benefits.ipynb"), pattern, client=client)
    assert solved.passed, solved.message


def test_tests_gate_rejects_the_documents_go_example_and_accepts_the_solution(client):
    starter = check_tests_gate_the_image(APPS["go"].dockerfile_text("multi"), client=client)
    assert not starter.passed and "test" not in starter.measured["stages_run"]
    solved = check_tests_gate_the_image(_solution("04-named-stages.ipynb"), client=client)
    assert solved.passed, solved.message


def test_a_test_stage_nothing_depends_on_is_caught_as_skipped(client):
    # A `test` stage that is built from `builder` but never copied from: BuildKit skips it.
    skipped = _solution("04-named-stages.ipynb").replace("COPY --from=test", "COPY --from=builder")
    result = check_tests_gate_the_image(skipped, client=client)
    assert not result.passed and "test" not in result.measured["stages_run"]


def test_third_stage_rejects_the_two_builder_app_and_a_stage_that_waits_and_accepts_the_solution(client):
    starter = check_third_stage(APPS["fullstack"].dockerfile_text("multi"), client=client)
    assert not starter.passed and starter.measured["stages"] == ["api", "web"]
    solution = _solution("05-copying-from-multiple-stages.ipynb")
    solved = check_third_stage(solution, client=client)
    assert solved.passed, solved.message
    waiting = solution.replace("FROM ${ALPINE_IMAGE} AS meta", "FROM api AS meta")
    assert waiting != solution
    late = check_third_stage(waiting, client=client)
    assert not late.passed and late.measured["waits_for"] == ["api"], late.message


def test_named_copy_rejects_the_broken_starter_and_a_position_and_accepts_the_solution(client):
    starter = check_named_copy(_starter("06-best-practices.ipynb"), client=client)
    assert not starter.passed and "must build" in starter.message
    shifted = check_named_copy(
        _starter("06-best-practices.ipynb").replace("--from=0", "--from=1"), client=client
    )
    assert not shifted.passed and shifted.measured["by_position"] == [
        "COPY --from=1 /root/.local /root/.local"
    ]
    solved = check_named_copy(_solution("06-best-practices.ipynb"), client=client)
    assert solved.passed, solved.message


def test_go_cache_mount_rejects_the_documents_example_and_accepts_the_solution(client):
    starter = check_go_cache_mount(APPS["go"].dockerfile_text("multi"), client=client)
    assert not starter.passed and starter.measured["ratio"] > 0.25
    solved = check_go_cache_mount(
        _solution("07-faster-rebuilds.ipynb"), cold_seconds=starter.measured["cold_s"], client=client
    )
    assert solved.passed, solved.message
