"""The layer rules of shared/DESIGN.md, checked on the source: a violation fails CI, not a review.

The layers, lowest first. A module may import its own layer and any layer below it, never one
above. Where a module that is not in a layer folder sits, and why (what it imports, who imports it):

    shared     errors.py, loopback.py, record_warnings.py, tasks.py, __init__.py
               plain data and one rule each; they import nothing of bulk_o2c and every layer,
               the sandbox included, reads them (tasks.py: the task group that transport and the
               pipeline both use)
    protocol   protocol/
    mapping    mapping/, synthetic.py
               mapping: pure row -> record functions on the protocol's records; config reads
               mapping.settings, so it sits below config. synthetic.py: builds those records from
               nothing for load tests, importing only protocol records
    config     config.py
               the settings model; DESIGN draws it in the face, but transport and pipeline read
               ``Settings`` today, and it imports only shared, protocol limits and mapping settings
    transport  transport/
    store      store/, private_files.py
               private_files: the 0600 rule of files holding customer data; the checkpoint in the
               store is its lowest user (pipeline and commands write exports and payloads with it)
    pipeline   pipeline/
    terminal   console.py, tables.py, progress.py, logs.py, cli_app.py
               the face's drawing helpers: progress shows the pipeline's metrics, so they sit on it;
               the commands and the bench use them
    sandbox    sandbox/
               servers the demo, the bench and the tests start; nothing below the bench may need
               one to work. What it may take from the client is narrower still (test below)
    bench      bench/
               the sweep the ``bench`` command drives (commands/bench.py imports it), so it must
               not import the commands
    face       cli.py, __main__.py, commands/, report_table.py

Imports inside functions count: they run when the function does, so they are dependencies too
(cli.py imports its commands lazily to start fast). Imports under ``if TYPE_CHECKING:`` count for
the layers, since an upper layer's type in a lower layer's signature is still a dependency, but not
for cycles: they never run, and they are how a type-only circle is broken. ``from pkg import mod``
is an edge to ``pkg.mod`` alone, not to ``pkg/__init__`` (Python runs that first, but nothing of it
is used): ``sandbox/netsuite/__init__`` re-exports its submodules, and every package that does so
would count as a circle otherwise. ``from pkg import Name`` is an edge to ``pkg/__init__``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bulk_o2c"

# Lowest first; a module's layer is the entry with the longest prefix of its dotted name.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "shared",
        ("bulk_o2c", "bulk_o2c.errors", "bulk_o2c.loopback", "bulk_o2c.record_warnings", "bulk_o2c.tasks"),
    ),
    ("protocol", ("bulk_o2c.protocol",)),
    ("mapping", ("bulk_o2c.mapping", "bulk_o2c.synthetic")),
    ("config", ("bulk_o2c.config",)),
    ("transport", ("bulk_o2c.transport",)),
    ("store", ("bulk_o2c.store", "bulk_o2c.private_files")),
    ("pipeline", ("bulk_o2c.pipeline",)),
    (
        "terminal",
        ("bulk_o2c.console", "bulk_o2c.tables", "bulk_o2c.progress", "bulk_o2c.logs", "bulk_o2c.cli_app"),
    ),
    ("sandbox", ("bulk_o2c.sandbox",)),
    ("bench", ("bulk_o2c.bench",)),
    ("face", ("bulk_o2c.cli", "bulk_o2c.__main__", "bulk_o2c.commands", "bulk_o2c.report_table")),
)
RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}

# Protocol code is pure: no I/O libraries (the layer rule keeps the rest of bulk_o2c out).
PROTOCOL_FORBIDDEN = ("aiohttp", "aiosqlite", "anyio", "asyncio", "backoff")
# The sandbox may share plain data with the client, never its codec.
SANDBOX_ALLOWED_FROM_CLIENT = (
    "bulk_o2c.protocol.netsuite.namespaces",
    "bulk_o2c.protocol.netsuite.countries",
    "bulk_o2c.protocol.netsuite.limits",
    "bulk_o2c.sandbox",
    "bulk_o2c.errors",
    "bulk_o2c.loopback",
)


@dataclass(frozen=True, slots=True)
class Import:
    name: str  # as written, made absolute: a module, or a module's attribute ("pkg.mod.Name")
    line: int
    type_only: bool  # under ``if TYPE_CHECKING:``


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _walk(node: ast.AST, type_only: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(node):
        inner = type_only or _is_type_checking(child)
        yield child, inner
        yield from _walk(child, inner)


def imports(module: str) -> list[Import]:
    """Every import of ``module``, at any depth (functions included), relative ones made absolute."""
    path = modules()[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []
    for node, type_only in _walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, node.lineno, type_only) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found += [Import(f"{base}.{alias.name}", node.lineno, type_only) for alias in node.names]
    return found


def resolve(name: str) -> str | None:
    """The bulk_o2c module ``name`` is, or holds (``pkg.mod.Name`` is in ``pkg.mod``)."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


def dependencies(module: str, *, type_only: bool) -> set[tuple[str, int]]:
    """The bulk_o2c modules ``module`` imports (not itself), with the line; ``type_only`` keeps the
    ones under TYPE_CHECKING."""
    found = set()
    for imp in imports(module):
        target = resolve(imp.name) if imp.name.startswith("bulk_o2c.") else None
        if target is not None and target != module and (type_only or not imp.type_only):
            found.add((target, imp.line))
    return found


def placement(module: str) -> tuple[str, str]:
    """The layer of ``module`` and the ``LAYERS`` prefix that put it there (the longest)."""
    return max(
        (
            (prefix, name)
            for name, prefixes in LAYERS
            for prefix in prefixes
            if f"{module}.".startswith(f"{prefix}.")
        ),
        key=lambda found: len(found[0]),
    )[::-1]


def layer(module: str) -> str:
    return placement(module)[0]


def upward_imports() -> list[str]:
    found = []
    for module in modules():
        for target, line in sorted(dependencies(module, type_only=True)):
            if RANK[layer(target)] > RANK[layer(module)]:
                found.append(f"{module}:{line} ({layer(module)}) imports {target} ({layer(target)})")
    return found


def import_cycles() -> list[list[str]]:
    """Every circle of module imports, found by a depth-first search (each reported once)."""
    graph = {m: sorted({t for t, _ in dependencies(m, type_only=False)}) for m in modules()}
    done: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        for target in graph[module]:
            if target in path:
                cycles.append([*path[path.index(target) :], target])
            elif target not in done:
                visit(target, [*path, target])
        done.add(module)

    for module in graph:
        if module not in done:
            visit(module, [module])
    return cycles


def test_every_module_has_a_layer() -> None:
    assert "bulk_o2c.pipeline.run" in modules()  # the walk found the package
    unplaced = [m for m in modules() if m != "bulk_o2c" and placement(m)[1] == "bulk_o2c"]
    assert not unplaced, f"add these to LAYERS (with a line of why): {unplaced}"


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert upward_imports() == []


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert import_cycles() == []


def test_the_checks_see_an_upward_import_and_a_circle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules above would pass on a graph they cannot read; this one they must fail."""
    real = imports

    def planted(module: str) -> list[Import]:
        extra = {
            "bulk_o2c.errors": [Import("bulk_o2c.protocol.netsuite.faults.SoapFault", 1, False)],
            "bulk_o2c.store.database": [Import("bulk_o2c.pipeline.run", 2, True)],
        }
        return real(module) + extra.get(module, [])

    monkeypatch.setattr(f"{__name__}.imports", planted)
    assert upward_imports() == [
        "bulk_o2c.errors:1 (shared) imports bulk_o2c.protocol.netsuite.faults (protocol)",
        "bulk_o2c.store.database:2 (store) imports bulk_o2c.pipeline.run (pipeline)",
    ]
    assert [set(cycle) for cycle in import_cycles()] == [
        {"bulk_o2c.errors", "bulk_o2c.protocol.netsuite.faults"}
    ]


def _modules(sub: str) -> list[Path]:
    return sorted((PACKAGE / sub).rglob("*.py"))


def _names(path: Path) -> set[str]:
    return {imp.name for imp in imports(module_name(path))}


@pytest.mark.parametrize("path", _modules("protocol"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_protocol_modules_do_no_io(path: Path) -> None:
    bad = {name for name in _names(path) if name.startswith(PROTOCOL_FORBIDDEN)}
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", _modules("sandbox"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_sandbox_never_imports_the_client_codec(path: Path) -> None:
    bad = {
        name
        for name in _names(path)
        if name.startswith("bulk_o2c")
        and not name.startswith(SANDBOX_ALLOWED_FROM_CLIENT)
        and name not in ("bulk_o2c.protocol.netsuite", "bulk_o2c.protocol")
    }
    assert not bad, f"{path.name} imports client code {sorted(bad)}"
