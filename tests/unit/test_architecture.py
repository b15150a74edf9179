"""The arrows of ARCHITECTURE.md: the core stays pure, bots and bridge never meet directly."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTER = {"bots", "bridge", "prevnet", "nio", "aiohttp"}
IO_LIBRARIES = {"sqlalchemy", "alembic", "asyncpg", "aiosqlite"}
PACKAGES = ("phenomena", "bots", "bridge", "prevnet")


def module_name(path: Path, root: Path = ROOT) -> str:
    """``bots/network.py`` -> ``bots.network``; a package's ``__init__.py`` is the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Every module ``path`` imports, relative imports resolved, TYPE_CHECKING ones included.

    ``from a import b`` counts as ``a.b`` when that is a module of ours, else as ``a``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package.pop()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                candidate = f"{module}.{alias.name}" if module else alias.name
                names.add(candidate if _is_module(candidate, root) else module)
    names.discard("")
    return names


def _is_module(name: str, root: Path) -> bool:
    path = root.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def import_graph(packages: tuple[str, ...], root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the modules of ``packages`` it imports."""
    graph: dict[str, set[str]] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            ours = {m for m in imported_modules(path, root) if m.split(".")[0] in packages}
            graph[module_name(path, root)] = ours
    return graph


def import_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of imports in ``graph`` (its modules in order), or None if there is none."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return None


def imported_roots(path: Path, root: Path = ROOT) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path, root)}


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", modules("phenomena"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_imports_no_outer_layer(path: Path) -> None:
    roots = imported_roots(path)
    assert not roots & OUTER, f"{path} imports {roots & OUTER}"
    if "storage" not in path.relative_to(ROOT / "phenomena").parts:
        assert not roots & IO_LIBRARIES, f"pure module {path} imports {roots & IO_LIBRARIES}"


@pytest.mark.parametrize("path", modules("phenomena"), ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_modules_do_not_import_storage(path: Path) -> None:
    if "storage" in path.relative_to(ROOT / "phenomena").parts:
        return
    storage = {m for m in imported_modules(path) if m.startswith("phenomena.storage")}
    assert not storage, f"{path} reaches into storage: {storage}"


@pytest.mark.parametrize(("package", "other"), [("bots", "bridge"), ("bridge", "bots")])
def test_bots_and_bridge_never_import_each_other(package: str, other: str) -> None:
    for path in modules(package):
        assert other not in imported_roots(path), f"{path} imports {other}"
        assert "prevnet" not in imported_roots(path), f"{path} imports the composition root"


def test_only_the_composition_root_reads_the_environment() -> None:
    for package in ("phenomena", "bots", "bridge"):
        for path in modules(package):
            source = path.read_text(encoding="utf-8")
            assert "os.environ" not in source and "getenv" not in source, path


def test_no_import_cycles_among_prevnets_packages() -> None:
    cycle = import_cycle(import_graph(PACKAGES))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_checker_would_catch_a_wrong_arrow(tmp_path: Path) -> None:
    bad = tmp_path / "bridge" / "inbound" / "bad.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("import nio\nfrom ...bots import rendering\nfrom . import sibling\n")
    assert imported_roots(bad, tmp_path) == {"nio", "bots", "bridge"}


def test_the_checker_would_catch_a_cycle_through_relative_and_type_checking_imports(
    tmp_path: Path,
) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from .sub import b\n")
    (package / "sub" / "b.py").write_text("from ..c import thing\n")
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n"
    )
    graph = import_graph(("pkg",), tmp_path)
    assert graph["pkg.a"] == {"pkg.sub.b"}
    assert graph["pkg.sub.b"] == {"pkg.c"}
    cycle = import_cycle(graph)
    assert cycle is not None and set(cycle) == {"pkg.a", "pkg.sub.b", "pkg.c"}
    (package / "c.py").write_text("thing = 1\n")
    assert import_cycle(import_graph(("pkg",), tmp_path)) is None
