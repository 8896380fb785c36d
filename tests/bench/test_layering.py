"""``bulk_o2c.bench`` sits under the commands: it may use the pipeline and below, never reach back up."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bulk_o2c" / "bench"
ABOVE = ("bulk_o2c.commands", "bulk_o2c.cli")
INSIDE_ABOVE = tuple(f"{module}." for module in ABOVE)


def imported(source: str) -> set[str]:
    """Every module an absolute import in ``source`` names (relative imports stay inside bench)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def upward(source: str) -> set[str]:
    return {name for name in imported(source) if name in ABOVE or name.startswith(INSIDE_ABOVE)}


def test_the_check_sees_an_upward_import_however_it_is_written() -> None:
    source = (
        "import bulk_o2c.cli\n"
        "from bulk_o2c.commands.sandboxes import SandboxAccount\n"
        "def later():\n    from bulk_o2c.commands import bench\n"
    )
    assert upward(source) >= {"bulk_o2c.cli", "bulk_o2c.commands.sandboxes", "bulk_o2c.commands"}
    assert upward("from bulk_o2c.pipeline.synthetic_load import load_customers\n") == set()


@pytest.mark.parametrize("path", sorted(BENCH.rglob("*.py")), ids=lambda p: p.name)
def test_bench_imports_nothing_from_the_commands(path: Path) -> None:
    assert not upward(path.read_text(encoding="utf-8")), f"{path.name} imports from above bench/"
