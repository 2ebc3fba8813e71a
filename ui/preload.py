"""What an app process imports before it serves: the libraries (pandas, plotly, SQLAlchemy …) that the app's
own modules import at their top, found by reading app.py, pages/ and the packages beside them.

Streamlit imports a page's modules on the first run that needs them, in that session's script thread and while
holding the GIL: the first page opened in a fresh process imported pandas and pyarrow (through ui.downloads),
about 0.7 s of Python work during which every other session of that process waited (py-spy on a replica during
the hall's opening burst, when every replica meets its first sessions at once). `python -m ui.serve` calls
`preload()` before the server listens, so that this is done before the first tablet connects.

Only libraries are imported here, never the app's own modules: those declare Streamlit caches when imported,
which must happen with the runtime running (before it, Streamlit picks another cache storage).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ui", "db", "core", "documents")  # the app's own code, read for what it imports
_LOG = logging.getLogger(__name__)


def _sources(root: Path) -> list[Path]:
    files = [root / "app.py", *sorted((root / "pages").glob("*.py"))]
    for package in PACKAGES:
        files += sorted(p for p in (root / package).rglob("*.py") if "migrations" not in p.parts)
    return files


def _top_level(name: str) -> str:
    return name.split(".", 1)[0]


def libraries(root: Path = ROOT) -> list[str]:
    """Modules outside the app (its own packages and the standard library's already loaded ones aside) that the
    app's files import at their top, in order, each once (imports inside functions stay lazy: they are there so
    that a rarely used export does not weigh on every process)."""
    own = {"app", "pages", *PACKAGES}
    names: list[str] = []
    for path in _sources(root):
        try:
            body = ast.parse(path.read_text(encoding="utf-8"), filename=str(path)).body
        except (OSError, SyntaxError, ValueError):
            continue
        for node in body:
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found = [node.module]
            else:
                continue
            names += [n for n in found if _top_level(n) not in own and n != "__future__"
                      and _top_level(n) not in sys.stdlib_module_names]
    return list(dict.fromkeys(names))


def preload(root: Path = ROOT) -> list[str]:
    """Import them; returns those imported. One that fails is left to fail where the app imports it (with that
    page's own error), and logged here."""
    loaded = []
    for name in libraries(root):
        try:
            importlib.import_module(name)
        except Exception as error:  # the page that needs it reports it; the server still starts
            _LOG.warning("preload: %s not imported (%s)", name, type(error).__name__)
            continue
        loaded.append(name)
    return loaded
