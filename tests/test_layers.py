"""The house's rules (ARCHITECTURE.md, README "Layout"): imports point down only, no import circles, no
private names borrowed across modules. import-linter holds the layers too (`lint-imports`, pyproject.toml);
these tests read every import, also those inside functions and under TYPE_CHECKING, which it does not."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "documents", "db", "ui", "pages", "bench", "deploy")
FORBIDDEN = {
    "core": {"documents", "db", "ui", "pages", "streamlit", "sqlmodel", "sqlalchemy", "alembic"},
    "documents": {"db", "ui", "pages", "streamlit", "sqlmodel", "sqlalchemy", "alembic"},
    "db": {"ui", "pages", "streamlit"},
    "ui": {"pages"},
}
# Inside db/: commands -> demo -> the store. The store is every other module of db/.
COMMANDS, DEMO = "db.commands", "db.demo"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files() -> list[Path]:
    files = [ROOT / "app.py"]
    for package in PACKAGES:
        files += [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]
    return files


MODULES = {module_name(p): p for p in source_files()}


def _nodes(tree, *, runtime_only: bool):
    stack = [tree]
    while stack:
        node = stack.pop()
        if runtime_only and isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            continue  # type hints only: nothing is imported when the app runs
        yield node
        stack.extend(ast.iter_child_nodes(node))


def imports(path: Path, *, runtime_only: bool = False) -> list[tuple[str, list[str], int]]:
    """Every import of the file, wherever it stands (also under TYPE_CHECKING unless `runtime_only`):
    (module, names taken from it, line)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in _nodes(tree, runtime_only=runtime_only):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.append((module, [alias.name for alias in node.names], node.lineno))
    return found


def targets(module: str, names: list[str]) -> set[str]:
    """The project modules an import runs: `from db import tallies` is db.tallies, not db/__init__."""
    found = {f"{module}.{name}" for name in names if f"{module}.{name}" in MODULES}
    if module in MODULES and (not names or len(found) < len(names)):
        found.add(module)
    return found


def graph() -> dict[str, set[str]]:
    edges = {}
    for name, path in MODULES.items():
        edges[name] = set()
        for module, names, _ in imports(path):
            edges[name] |= targets(module, names) - {name}
    return edges


def test_imports_point_down_only():
    offences = []
    for layer, banned in FORBIDDEN.items():
        for path in (ROOT / layer).rglob("*.py"):
            wrong = {m.split(".")[0] for m, _, _ in imports(path)} & banned
            if wrong:
                offences.append(f"{path.relative_to(ROOT)} imports {sorted(wrong)}")
    assert offences == []


def test_inside_db_commands_then_demo_then_the_store():
    offences = []
    for name, path in MODULES.items():
        if not name.startswith("db.") or name.startswith(COMMANDS) or name == "db.__main__":
            continue
        for module, names, line in imports(path):
            reached = {module, *targets(module, names)}
            banned = {COMMANDS} if name.startswith(DEMO) else {COMMANDS, DEMO}
            if any(m == b or m.startswith(b + ".") for m in reached for b in banned):
                offences.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert offences == []


def test_only_commands_bench_and_tests_use_the_demo():
    users = sorted(name for name, edges in graph().items()
                   if any(e == DEMO or e.startswith(DEMO + ".") for e in edges)
                   and not name.startswith((DEMO, COMMANDS, "bench")))
    assert users == []


def test_no_import_circles():
    edges = graph()
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert circles == []


def test_no_private_names_borrowed_across_modules():
    """A name with a leading underscore is its module's own; another module needing it means it is public."""
    offences = []
    for name, path in MODULES.items():
        for module, names, line in imports(path):
            if module.split(".")[0] in {*PACKAGES, "app"} and module != name:
                private = [n for n in names if n.startswith("_") and f"{module}.{n}" not in MODULES]
                if private:
                    offences.append(f"{path.relative_to(ROOT)}:{line} takes {private} from {module}")
    assert offences == []


def test_pages_hold_no_sql():
    for path in [*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]:
        packages = {m.split(".")[0] for m, _, _ in imports(path, runtime_only=True)}
        assert not packages & {"sqlalchemy", "sqlmodel", "sqlite3", "psycopg"}, path.name
        assert "scipy" not in packages, path.name


def test_import_linter_contracts_are_kept():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if lint is None:
        pytest.fail("lint-imports (import-linter, requirements-dev.txt) is not installed")
    run = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=240,
                         check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout
