"""Exercise checkers reject the starting point and accept the solution the notebook publishes."""

import json
import re
from pathlib import Path

from multistage.apps import APPS
from multistage.exercises import check_node_production_only

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _solution(notebook: str) -> str:
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    text = next("".join(c["source"]) for c in cells if "<summary>Solution</summary>" in "".join(c["source"]))
    return re.search(r"```dockerfile\n(.*?)```", text, re.S)[1]


def test_node_production_only_rejects_the_documents_example_and_accepts_the_solution(client, capsys):
    starter = check_node_production_only(APPS["node"].dockerfile_text("multi"), client=client)
    assert not starter.passed and starter.measured["dev_packages"] > 0
    assert "npm ci --omit=dev" in capsys.readouterr().out, "the hint must point at the fix"
    solved = check_node_production_only(_solution("01-basic-example-node.ipynb"), client=client)
    assert solved.passed, solved.message
    assert solved.measured["size_mb"] < starter.measured["size_mb"]


def test_a_dockerfile_that_does_not_build_is_a_clear_fail_not_a_crash(client):
    result = check_node_production_only(
        "ARG NODE_IMAGE=node:18\nFROM ${NODE_IMAGE}\nRUN exit 7\n", client=client
    )
    assert not result.passed and "RUN exit 7" in result.message


def test_go_small_image_rejects_the_documents_example_and_accepts_the_solution(client):
    from multistage.exercises import check_go_small_image

    starter = check_go_small_image(APPS["go"].dockerfile_text("multi"), limit_mb=8, client=client)
    assert not starter.passed and starter.measured["size_mb"] >= 8
    solved = check_go_small_image(_solution("02-go-example.ipynb"), limit_mb=8, client=client)
    assert solved.passed, solved.message


def test_python_non_root_rejects_the_documents_example_and_accepts_the_solution(client):
    from multistage.exercises import check_python_non_root

    starter = check_python_non_root(APPS["python"].dockerfile_text("multi"), client=client)
    assert not starter.passed and starter.measured["user"] == "root"
    solved = check_python_non_root(_solution("03-python-example.ipynb"), client=client)
    assert solved.passed, solved.message


def test_secret_layer_answer_is_checked_against_the_measured_layer(client):
    from multistage.exercises import check_secret_layer
    from multistage.scenarios import secret_leak

    leak = secret_leak(client, progress=False)
    assert not check_secret_layer(None, leak).passed
    assert check_secret_layer(leak.single_hits[0].layer, leak).passed
    assert not check_secret_layer(leak.single_hits[0].layer + 1, leak).passed
