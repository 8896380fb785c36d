"""The catalogue in bulk_o2c/errors.py lists every exception class of bulk-o2c where it lives."""

from __future__ import annotations

import importlib
import pkgutil
import re

import bulk_o2c
from bulk_o2c import errors
from bulk_o2c.errors import BulkO2CError

OUTSIDE = "Outside the tree, on purpose"

# A row: the tree's drawing, a class name, an optional [family] mark, then (or on the next line,
# when the name is long) the module it lives in as a path under bulk_o2c/, padded or at the end.
_WHERE = r"(?P<where>[a-z_]+(?:/[a-z_]+)*)(?:\s{2,}|$)"
_ROW = re.compile(rf"^    [│├└─ ]*(?P<name>_?[A-Z]\w*)(?: \[\w+\])?(?:\s{{2,}}{_WHERE}|$)")
_WRAPPED = re.compile(rf"^    [│ ]+{_WHERE}")

Row = tuple[str, str]  # (class name, where it lives)


def rows(text: str) -> set[Row]:
    """The catalogue's rows in ``text``; the legend's indented lines are none."""
    lines = text.splitlines()
    found = set()
    for line, after in zip(lines, [*lines[1:], ""], strict=True):
        row = _ROW.match(line)
        wrapped = _WRAPPED.match(after)
        where = row and (row["where"] or (wrapped and wrapped["where"]))
        if row and where:
            found.add((row["name"], where))
    return found


def _exceptions_of_bulk_o2c() -> set[type[BaseException]]:
    for module in pkgutil.walk_packages(bulk_o2c.__path__, "bulk_o2c."):
        if not module.name.endswith("__main__"):  # importing it runs the CLI
            importlib.import_module(module.name)
    found: set[type[BaseException]] = set()
    todo: list[type[BaseException]] = [BaseException]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return {cls for cls in found if cls.__module__.startswith("bulk_o2c.")}


def _row(cls: type[BaseException]) -> Row:
    return cls.__name__, cls.__module__.removeprefix("bulk_o2c.").replace(".", "/")


def test_the_tree_lists_every_bulk_o2c_error_where_it_lives() -> None:
    tree, _ = (errors.__doc__ or "").split(OUTSIDE)
    defined = {_row(cls) for cls in _exceptions_of_bulk_o2c() if issubclass(cls, BulkO2CError)}
    assert ("ConcurrencyFault", "protocol/netsuite/faults") in defined  # the walk found the leaves
    assert rows(tree) == defined


def test_every_other_exception_class_is_listed_outside_the_tree() -> None:
    _, outside = (errors.__doc__ or "").split(OUTSIDE)
    defined = {_row(cls) for cls in _exceptions_of_bulk_o2c() if not issubclass(cls, BulkO2CError)}
    assert ("Rejected", "mapping/result") in defined
    assert rows(outside) == defined


def test_a_row_is_read_whole_or_wrapped_and_the_legend_is_no_row() -> None:
    text = (
        "    BulkO2CError                 errors             (the base)\n"
        "    │   └── ConcurrentRequestLimitError [sf]\n"
        "    │                            protocol/salesforce/errors   retried\n"
        "    DLQ      one record fails into the dead-letter queue\n"
        "    ResultOverrunError and ShortReadError are RowCountMismatchErrors too.\n"
        "    └── GoneError                protocol/nowhere   stops\n"
    )
    assert rows(text) == {
        ("BulkO2CError", "errors"),
        ("ConcurrentRequestLimitError", "protocol/salesforce/errors"),
        ("GoneError", "protocol/nowhere"),  # a stale row is read, so the comparison sees it
    }
