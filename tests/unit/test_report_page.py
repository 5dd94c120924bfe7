"""The report page: claims judged, charts with what to read from them, nothing loaded from the network."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import asdict

import nbformat
import pandas as pd

from multistage.claims import HOLDS, HOLDS_PARTLY, Claim, read_claims
from multistage.runner import FigureOut, NotebookRun, _section_of, _write_outputs, write_index


def _loads_from_network(page: str) -> bool:
    return re.search(r"(src|href)=['\"]https?://", page) is not None


def test_the_last_verdict_of_each_claim_counts(tmp_path):
    first = Claim(
        "Smaller images", HOLDS_PARTLY, "1.5× smaller", "00-overview-and-benefits", "Smaller images"
    )
    again = Claim("Smaller images", HOLDS, "3.4× smaller", "00-overview-and-benefits", "Smaller images")
    path = tmp_path / "claims.jsonl"
    path.write_text("".join(json.dumps(asdict(c)) + "\n" for c in (first, again)))
    assert read_claims(path) == [again]
    assert read_claims(tmp_path / "missing.jsonl") == []


def test_the_page_opens_with_the_claims_and_loads_nothing_from_the_network(tmp_path):
    claim = Claim(
        "Better security", HOLDS_PARTLY, "3 with a shell", "00-overview-and-benefits", "Better security"
    )
    (tmp_path / "figures").mkdir()
    figure = FigureOut(tmp_path / "figures" / "00-overview-and-benefits-1.png", "Smaller `images`")
    run = NotebookRun(
        "00-overview-and-benefits", 12.0, tmp_path / "html" / "00-overview-and-benefits.html", [figure]
    )
    coded = Claim("Name stages", HOLDS, "named", "06-best-practices", "5. `COPY --from=0` after a stage")
    page = write_index(
        [run], pd.DataFrame([{"app": "go", "size_mb": 7.1}]), [claim, coded], tmp_path
    ).read_text()
    assert page.index("Better security") < page.index("Every sample app variant")
    assert "href='html/00-overview-and-benefits.html#Better-security'" in page
    # nbconvert's heading ids drop a code span's backticks: "5.-COPY---from=0-after-a-stage".
    assert "href='html/06-best-practices.html#5.-COPY---from=0-after-a-stage'" in page
    assert "<td class='partly'>holds partly</td>" in page
    assert "<figcaption>Smaller <code>images</code></figcaption>" in page
    assert not _loads_from_network(page), "the page must render offline"


def test_a_chart_is_captioned_with_the_section_it_belongs_to():
    cells = [
        nbformat.v4.new_markdown_cell("## Smaller images\n\nBelow, each app is built."),
        nbformat.v4.new_code_cell("chart()"),
        nbformat.v4.new_markdown_cell("### Next section"),
    ]
    assert _section_of(cells, 1) == "Smaller images"
    quoted = nbformat.v4.new_markdown_cell(
        "## The example\n\n```dockerfile\n# Production stage\nFROM scratch\n```"
    )
    assert _section_of([quoted, cells[1]], 1) == "The example", (
        "a comment in a quoted Dockerfile is no heading"
    )


def test_an_executed_notebook_is_written_with_its_page_and_its_charts(tmp_path):
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n one chart").decode()
    chart = nbformat.v4.new_code_cell(
        "chart()",
        outputs=[nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"})],
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Smaller images"), chart])
    page, figures = _write_outputs(notebook, "00-overview-and-benefits", tmp_path)
    assert nbformat.read(tmp_path / "notebooks" / "00-overview-and-benefits.ipynb", as_version=4) == notebook
    assert (
        page == tmp_path / "html" / "00-overview-and-benefits.html" and "Smaller images" in page.read_text()
    )
    assert not _loads_from_network(page.read_text()), "the page must render offline"
    assert figures == [FigureOut(tmp_path / "figures" / "00-overview-and-benefits-1.png", "Smaller images")]
    assert figures[0].path.read_bytes() == base64.b64decode(png)
