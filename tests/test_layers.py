"""The layer rules of shared/DESIGN.md, checked on the source: a violation fails CI, not a review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bulk_o2c"

# Protocol code is pure: no I/O libraries, nothing from the layers above it.
PROTOCOL_FORBIDDEN = (
    "aiohttp",
    "aiosqlite",
    "anyio",
    "asyncio",
    "backoff",
    "bulk_o2c.transport",
    "bulk_o2c.sandbox",
    "bulk_o2c.pipeline",
    "bulk_o2c.store",
    "bulk_o2c.cli",
)
# The sandbox may share plain data with the client, never its codec.
SANDBOX_ALLOWED_FROM_CLIENT = (
    "bulk_o2c.protocol.netsuite.namespaces",
    "bulk_o2c.protocol.netsuite.countries",
    "bulk_o2c.protocol.netsuite.limits",
    "bulk_o2c.sandbox",
    "bulk_o2c.errors",
    "bulk_o2c.loopback",
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _modules(sub: str) -> list[Path]:
    return sorted((PACKAGE / sub).rglob("*.py"))


@pytest.mark.parametrize("path", _modules("protocol"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_protocol_modules_do_no_io(path: Path) -> None:
    bad = {name for name in _imports(path) if name.startswith(PROTOCOL_FORBIDDEN)}
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", _modules("sandbox"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_sandbox_never_imports_the_client_codec(path: Path) -> None:
    bad = {
        name
        for name in _imports(path)
        if name.startswith("bulk_o2c")
        and not name.startswith(SANDBOX_ALLOWED_FROM_CLIENT)
        and name not in ("bulk_o2c.protocol.netsuite", "bulk_o2c.protocol")
    }
    assert not bad, f"{path.name} imports client code {sorted(bad)}"
