"""The package's layers, as docs/architecture.md lists them: a module imports only modules above it."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "multistage"


def documented_order() -> list[str]:
    """The modules of the architecture table, lowest first (``experiments/overview`` -> ``experiments.overview``)."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    table = text.split("## The layers, lowest first", 1)[1].split("\n## ", 1)[0]
    return [name.replace("/", ".") for name in re.findall(r"^\| `([\w/]+)` \|", table, re.M)]


def imported_modules(path: Path) -> set[str]:
    """The package modules a module imports, as dotted names relative to the package."""
    here = path.relative_to(PACKAGE).with_suffix("").parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(here[: len(here) - node.level])
            if node.module:
                found.add(".".join([*base, *node.module.split(".")]))
            else:
                found.update(".".join([*base, alias.name]) for alias in node.names)
    return found


def test_every_module_is_in_the_table_and_imports_only_modules_above_it():
    order = documented_order()
    modules = {
        ".".join(p.relative_to(PACKAGE).with_suffix("").parts)
        for p in PACKAGE.rglob("*.py")
        if p.name != "__init__.py"
    }
    assert modules <= set(order), f"modules missing from docs/architecture.md: {sorted(modules - set(order))}"
    upward = []
    for module in sorted(modules):
        path = PACKAGE / (module.replace(".", "/") + ".py")
        for imported in imported_modules(path):
            if imported in order and order.index(imported) >= order.index(module):
                upward.append(f"{module} imports {imported}")
    assert not upward, f"imports against the documented layer order: {upward}"
