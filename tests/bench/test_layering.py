"""``bulk_o2c.bench`` sits under the commands: it may use the pipeline and below, never reach back up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "bulk_o2c"
BENCH_MODULES = sorted(
    f"bulk_o2c.bench.{path.stem}" for path in (PACKAGE / "bench").glob("*.py") if path.stem != "__init__"
)
ABOVE = ("bulk_o2c.commands", "bulk_o2c.cli")


def loaded_from_above(*modules: str) -> list[str]:
    """The modules above bench/ that importing ``modules`` loads, directly or through others (in a
    fresh interpreter, so nothing another test imported counts)."""
    probe = (
        "import importlib, json, sys\n"
        f"for name in {list(modules)!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({ABOVE!r}))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    names: list[str] = json.loads(done.stdout)
    return names


def test_importing_bench_loads_nothing_from_the_commands() -> None:
    assert BENCH_MODULES, "no bench module found"
    assert loaded_from_above(*BENCH_MODULES) == []
    # The probe sees what it looks for: the bench command is above bench/.
    assert "bulk_o2c.commands.bench" in loaded_from_above("bulk_o2c.commands.bench")


def test_no_bench_module_names_the_commands_even_in_a_deferred_import() -> None:
    for path in (PACKAGE / "bench").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not any(module in text for module in ABOVE), f"{path.name} names a module above bench/"
