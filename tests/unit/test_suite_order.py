"""`make test`'s two workers take the files in `COSTLIEST_FIRST`'s order: it must name files that exist."""

from pathlib import Path

from tests.conftest import COSTLIEST_FIRST

ROOT = Path(__file__).parents[2]


def test_the_costliest_first_order_names_existing_files_and_every_notebook():
    missing = [path for path in COSTLIEST_FIRST if not (ROOT / path).is_file()]
    assert not missing, f"renamed or removed, still in tests/conftest.py's COSTLIEST_FIRST: {missing}"
    notebooks = {path.relative_to(ROOT).as_posix() for path in (ROOT / "notebooks").glob("*.ipynb")}
    assert notebooks <= set(COSTLIEST_FIRST), (
        f"a notebook not in COSTLIEST_FIRST runs after every unit test: {sorted(notebooks - set(COSTLIEST_FIRST))}"
    )
