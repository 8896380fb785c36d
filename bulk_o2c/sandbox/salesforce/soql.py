"""The SOQL subset the sandbox runs: a field list, an object, optional SystemModstamp windows.

    SELECT f1, f2, Rel.Field FROM Object
        [WHERE SystemModstamp >= 2024-01-01T00:00:00Z AND SystemModstamp < 2024-02-01T00:00:00.000+0000]
    SELECT Id, OrderId FROM OrderItem
        WHERE Order.SystemModstamp >= 2024-01-01T00:00:00Z AND Order.SystemModstamp < 2024-02-01T00:00:00Z

Rules this module owns:

- Keywords, object and field names are case-insensitive; a column keeps the spelling the query
  used, because Bulk API 2.0 heads each CSV column with the field exactly as selected.
- Conditions: only ``SystemModstamp`` of the queried object or of a parent reached through one of
  its child-to-parent relationships (``Order.SystemModstamp`` on OrderItem), compared with ``>``,
  ``>=``, ``<`` or ``<=`` to a dateTime literal that carries a zone (``Z``, ``+0000``, ``+00:00``),
  joined by ``AND``. The object's own conditions make ``window``; a parent's make its entry in
  ``parent_windows``, keyed by the canonical relationship name.
- Relationship paths are one level, child to parent (``Product2.ProductCode`` on OrderItem).
- Errors, checked in this order, as Salesforce reports them at job creation: syntax and anything
  outside the subset -> MALFORMED_QUERY; an object the org does not have -> INVALIDENTITY; an
  unknown field or relationship -> INVALID_FIELD.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from bulk_o2c.sandbox.salesforce.schema import OBJECTS, Relationship, SObject, object_named

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
      | (?P<name>[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)
      | (?P<symbol>>=|<=|!=|<>|[<>=,()*])
      | (?P<other>[^\s,()<>=]+)
    )""",
    re.VERBOSE,
)
_KEYWORDS = frozenset({"select", "from", "where", "and", "or", "not"})
_MODSTAMP = "systemmodstamp"
_COMPARISONS: dict[str, Callable[[int, int], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


class SoqlError(Exception):
    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


@dataclass(frozen=True, slots=True)
class Column:
    label: str
    """The column as the query spelled it; it heads the CSV column."""
    field: str
    """The canonical field name on ``parent`` (when set) or on the queried object."""
    relationship: str | None = None
    """The canonical relationship name for a parent field (``Product2``), else None."""


@dataclass(frozen=True, slots=True)
class ModstampWindow:
    conditions: tuple[tuple[str, int], ...] = ()

    def contains(self, modstamp_ms: int) -> bool:
        return all(_COMPARISONS[op](modstamp_ms, bound) for op, bound in self.conditions)

    @property
    def is_everything(self) -> bool:
        return not self.conditions


@dataclass(frozen=True, slots=True)
class SoqlQuery:
    sobject: str
    columns: tuple[Column, ...]
    window: ModstampWindow
    """Conditions on the queried object's own SystemModstamp."""
    parent_windows: Mapping[str, ModstampWindow] = field(default_factory=lambda: MappingProxyType({}))
    """Conditions on a parent's SystemModstamp, by canonical relationship name (``Order``)."""


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    text = text.strip()
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{text[position:].strip()[:20]}'")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self._tokens = _tokens(text)
        self._index = 0

    def _peek(self) -> tuple[str, str] | None:
        return self._tokens[self._index] if self._index < len(self._tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise SoqlError("MALFORMED_QUERY", "unexpected end of query")
        self._index += 1
        return token

    def _keyword(self, word: str) -> None:
        kind, value = self._take()
        if kind != "name" or value.lower() != word:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{value}', expecting {word.upper()}")

    def _name(self) -> str:
        kind, value = self._take()
        if kind != "name" or value.lower() in _KEYWORDS:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{value}'")
        return value

    def parse(self) -> tuple[list[str], str, list[tuple[str, str, str]]]:
        self._keyword("select")
        fields = [self._name()]
        while (token := self._peek()) is not None and token == ("symbol", ","):
            self._take()
            fields.append(self._name())
        self._keyword("from")
        sobject = self._name()
        conditions: list[tuple[str, str, str]] = []
        if self._peek() is not None:
            self._keyword("where")
            conditions.append(self._condition())
            while self._peek() is not None:
                self._keyword("and")
                conditions.append(self._condition())
        return fields, sobject, conditions

    def _condition(self) -> tuple[str, str, str]:
        name = self._name()
        kind, op = self._take()
        if kind != "symbol" or op not in _COMPARISONS:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{op}': the sandbox supports > >= < <=")
        kind, literal = self._take()
        if kind != "datetime":
            raise SoqlError(
                "MALFORMED_QUERY", f"value of filter criterion for field '{name}' must be a dateTime"
            )
        return name, op, literal


def _relationship(target: SObject, parts: list[str]) -> tuple[str, Relationship]:
    """The relationship of a ``Relationship.Field`` path (one level deep), by its canonical name."""
    found = target.relationship_named(parts[0]) if len(parts) == 2 else None
    if found is None:
        raise SoqlError("INVALID_FIELD", f"Didn't understand relationship '{parts[0]}' in field path.")
    return found


def _column(objects: Mapping[str, SObject], target: SObject, label: str) -> Column:
    parts = label.split(".")
    if len(parts) == 1:
        name = target.field_named(label)
        if name is None:
            raise SoqlError("INVALID_FIELD", f"No such column '{label}' on entity '{target.name}'.")
        return Column(label, name)
    relationship_name, relationship = _relationship(target, parts)
    name = objects[relationship.parent].field_named(parts[1])
    if name is None:
        raise SoqlError("INVALID_FIELD", f"No such column '{parts[1]}' on entity '{relationship.parent}'.")
    return Column(label, name, relationship_name)


def _condition_relationship(target: SObject, name: str) -> str | None:
    """The canonical relationship a condition's SystemModstamp belongs to; None for the object's own."""
    parts = name.split(".")
    return None if len(parts) == 1 else _relationship(target, parts)[0]


def _epoch_ms(literal: str) -> int:
    try:
        return round(datetime.fromisoformat(literal).timestamp() * 1000)
    except ValueError:
        raise SoqlError("MALFORMED_QUERY", f"invalid dateTime literal: {literal}") from None


def parse_soql(text: str, objects: Mapping[str, SObject] = OBJECTS) -> SoqlQuery:
    """The query, checked against ``objects`` (the org's shaped objects)."""
    fields, sobject_name, conditions = _Parser(text).parse()
    for name, _, _ in conditions:
        if name.rsplit(".", 1)[-1].lower() != _MODSTAMP:
            raise SoqlError(
                "MALFORMED_QUERY",
                f"the sandbox filters on SystemModstamp or <Relationship>.SystemModstamp only, not '{name}'",
            )
    target = object_named(sobject_name, objects)
    if target is None:
        raise SoqlError("INVALIDENTITY", f"Entity '{sobject_name}' is not supported by the Bulk API.")
    columns = tuple(_column(objects, target, label) for label in fields)
    seen: set[tuple[str | None, str]] = set()
    for column in columns:
        key = (column.relationship, column.field)
        if key in seen:
            raise SoqlError("MALFORMED_QUERY", f"duplicate field selected: {column.label}")
        seen.add(key)
    own: list[tuple[str, int]] = []
    parents: dict[str, list[tuple[str, int]]] = {}
    for name, op, literal in conditions:
        relationship = _condition_relationship(target, name)
        bounds = own if relationship is None else parents.setdefault(relationship, [])
        bounds.append((op, _epoch_ms(literal)))
    parent_windows = {name: ModstampWindow(tuple(bounds)) for name, bounds in parents.items()}
    return SoqlQuery(target.name, columns, ModstampWindow(tuple(own)), MappingProxyType(parent_windows))
