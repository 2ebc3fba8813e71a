"""Imports point down only: pages/ui -> db -> core (ARCHITECTURE.md)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "core": {"db", "ui", "pages", "streamlit", "sqlmodel", "sqlalchemy", "alembic"},
    "db": {"ui", "pages", "streamlit"},
    "ui": {"pages"},
}


def _runtime_nodes(tree):
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            continue  # type hints only: nothing is imported when the app runs
        yield node
        stack.extend(ast.iter_child_nodes(node))


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_imports_point_down_only():
    offences = []
    for layer, banned in FORBIDDEN.items():
        for path in (ROOT / layer).rglob("*.py"):
            wrong = imported_packages(path) & banned
            if wrong:
                offences.append(f"{path.relative_to(ROOT)} imports {sorted(wrong)}")
    assert offences == []


def test_pages_hold_no_sql():
    for path in [*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]:
        packages = imported_packages(path)
        assert not packages & {"sqlalchemy", "sqlmodel", "sqlite3", "psycopg"}, path.name
        assert "scipy" not in packages, path.name
