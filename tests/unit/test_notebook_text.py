"""The notebooks' markdown states no measurement and nothing that depends on what ran.

The rule (CONVENTIONS, "Notebooks"): markdown poses the question and explains the idea. A
number, and any statement that depends on which engine, builder, profile or base ran, comes
out of a cell as a sentence built from the data, so the text cannot drift from what ran on
the learner's machine.

Checked here on every markdown cell's prose, which is its text without:

- headings, links (text and address), code spans, fenced code, and ``<details>`` solutions;
- the ``## Prerequisites`` and ``## Resources`` sections (a table of where to learn things, and
  the reading list), and block quotes (the document's own words);
- the marker of a numbered list item (``1.``).

The prose then holds no digit and none of :data:`NAMED`: builders, engines, image stores and
the bases' families and libcs. A name that only explains an idea is written as a link or a code
span (``[BuildKit](…)``, `` `docker buildx build` ``), which also makes it something the
learner can look up or type.
"""

import re
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).parents[2] / "notebooks"

#: Names whose truth depends on what ran: builders, engines, image stores, bases' families.
NAMED = re.compile(
    r"\b(BuildKit|buildx|classic builder|Buildah|Podman|containerd|overlay2|Docker Engine|"
    r"Engine \d|Docker Desktop|glibc|musl|Debian|Alpine|distroless)\b",
    re.IGNORECASE,
)
_EXEMPT_SECTIONS = ("Prerequisites", "Resources")
_FENCED = re.compile(r"```.*?```|<details>.*?</details>", re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\([^)]*\)")
_LIST_MARKER = re.compile(r"^\s*\d+\.\s")
_NUMBER = re.compile(r"\S*\d\S*")


def offences(source: str, section: str | None) -> tuple[list[str], str | None]:
    """What a markdown cell's prose says against the rule, and the section the cell ends in."""
    found = []
    for line in _FENCED.sub("", source).splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        if line.lstrip().startswith(("#", ">")) or section in _EXEMPT_SECTIONS:
            continue
        prose = _LIST_MARKER.sub("", _LINK.sub("", _CODE_SPAN.sub("", line)))
        found += _NUMBER.findall(prose) + [match.group(0) for match in NAMED.finditer(prose)]
    return found, section


def notebook_offences(path: Path) -> dict[tuple[str, str], list[str]]:
    notebook = nbformat.read(path, as_version=4)
    section = None
    found = {}
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        said, section = offences(cell.source, section)
        if said:
            found[(path.name[:2], cell.id)] = said
    return found


@pytest.mark.parametrize("notebook", sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")))
def test_markdown_states_no_number_and_nothing_that_depends_on_what_ran(notebook):
    found = notebook_offences(NOTEBOOKS / notebook)
    assert not found, (
        f"{notebook}: markdown states what a cell should print (numbers, builders, engines, bases); "
        f"print it from the data instead, or write an explaining name as a link or code span: {found}"
    )


def test_the_rule_catches_what_it_is_for():
    said, _ = offences("Under BuildKit the wall time was 3.1 s less.", "A cold build")
    assert said == ["3.1", "BuildKit"]
    allowed = "## Heading 2\n`BuildKit` in code, [BuildKit 23](https://x/1), and\n1. a list item"
    assert offences(allowed, None) == ([], "Heading 2")
    assert offences("| BuildKit | 2 |", "Prerequisites") == ([], "Prerequisites")


def test_each_time_to_learn_is_the_reading_models_in_the_notebook_the_readme_and_the_guide():
    sys.path.insert(0, str(NOTEBOOKS.parent / "scripts"))
    from time_to_learn import minutes, stated

    readme = (NOTEBOOKS.parent / "README.md").read_text()
    guide = (NOTEBOOKS.parent / "docs" / "instructor-guide.md").read_text()
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        model = minutes(path)["total"]
        assert stated(path) == model, f"{path.name}: rerun scripts/time_to_learn.py and update its line"
        assert re.search(
            rf"\(notebooks/{re.escape(path.stem)}\.ipynb\) \| [^|]+ \| {model} min \|", readme
        ), f"README: {path.stem}'s time should be {model} min"
        if path.stem[:2] <= "06":  # the guide's agenda keeps 00-06 in the room
            assert re.search(rf"\| {path.stem[:2]} [A-Z][^|]+\| {model} min \|", guide), (
                f"instructor guide: {path.stem}'s estimate should be {model} min"
            )
