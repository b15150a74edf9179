"""The arrows of ARCHITECTURE.md: the core stays pure, bots and bridge never meet directly."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTER = {"bots", "bridge", "prevnet", "nio", "aiohttp"}
IO_LIBRARIES = {"sqlalchemy", "alembic", "asyncpg", "aiosqlite"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def imported_roots(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


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


def test_the_checker_would_catch_a_wrong_arrow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import nio\nfrom bots.x import y\nfrom . import sibling\n")
    assert imported_roots(bad) == {"nio", "bots"}
