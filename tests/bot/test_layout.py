"""The shape of the code: no import cycles among the project's modules, Telegram kept at the edge.

Both are read from the source with ``ast`` (nothing is imported), so a cycle hidden in a function's
deferred import is found too; imports under ``if TYPE_CHECKING:`` are left out (they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = {"arshif.bot": REPO / "bot", "arshif.index": REPO / "index"}
TELEGRAM_SHARE = 0.25  # files that import telegram may hold at most this share of bot/'s lines


def modules() -> dict[str, Path]:
    """Returns every module of the project by dotted name (packages by their __init__.py)."""
    found = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


def _runtime_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Returns the import statements that run: everywhere but under ``if TYPE_CHECKING:``."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for child in node.body for n in ast.walk(child))
    return [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom) and id(n) not in skipped]


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Returns the project modules ``name`` imports (a parent package it lives in does not count)."""
    is_package = path.name == "__init__.py"
    base = name if is_package else name.rsplit(".", 1)[0]
    edges = set()
    for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            if node.level:
                anchor = base.rsplit(".", node.level - 1)[0] if node.level > 1 else base
                module = f"{anchor}.{node.module}" if node.module else anchor
            else:
                module = node.module or ""
            # «from . import x» imports the module x when there is one, else a name of the package.
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in known else module for a in node.names]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                edges.add(target)
    return edges


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Returns one import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles() -> None:
    known = modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    assert graph["arshif.bot.core"] >= {"arshif.bot.alerts", "arshif.bot.admin", "arshif.bot.render"}
    assert find_cycle(graph) is None, " → ".join(find_cycle(graph) or [])
    assert not any(m.startswith("arshif.bot") for name in known if name.startswith("arshif.index")
                   for m in graph[name]), "index/ never imports bot/"


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def telegram_share() -> tuple[int, int]:
    """Returns (lines of bot/ files that import telegram, lines of bot/)."""
    total = telegram = 0
    for path in (REPO / "bot").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        total += lines
        for node in _runtime_imports(ast.parse(text)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if not node.level else []
            if any(n == "telegram" or n.startswith("telegram.") for n in names):
                telegram += lines
                break
    return telegram, total


def test_telegram_stays_at_the_edge() -> None:
    telegram, total = telegram_share()
    assert telegram / total <= TELEGRAM_SHARE, f"{telegram} of {total} lines of bot/ import telegram"


@pytest.mark.parametrize("module", ["arshif.bot.core", "arshif.bot.render", "arshif.bot.alerts",
                                    "arshif.bot.admin", "arshif.bot.replies", "arshif.bot.texts"])
def test_the_core_knows_nothing_of_telegram(module: str) -> None:
    known = modules()
    tree = ast.parse(known[module].read_text(encoding="utf-8"))
    for node in _runtime_imports(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        assert not any(n.split(".")[0] == "telegram" for n in names if n), (module, ast.unparse(node))


def test_every_engine_error_is_in_the_documented_tree() -> None:
    """index/errors.py holds every exception class of the engine and lists each in its docstring."""
    from arshif.index import errors

    tree = ast.parse((REPO / "index" / "errors.py").read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree) or ""
    defined = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    assert defined == set(errors.__all__)
    for name in defined:
        assert f"``{name}``" in doc, name
        assert issubclass(getattr(errors, name), errors.ArchiveError) or name == "ArchiveError"
    for path in (REPO / "index").rglob("*.py"):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = {ast.unparse(b) for b in node.bases}
                assert not bases & {"Exception", "ArchiveError", "ValueError", "RuntimeError"}, \
                    f"{path.name}: {node.name} belongs in index/errors.py"
