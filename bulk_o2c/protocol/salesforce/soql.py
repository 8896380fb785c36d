"""SOQL for bulk extraction: SELECT statements, datetime literals, delta windows, the high-water mark.

Rules this module owns:

- A delta window is half-open: ``SystemModstamp >= since - overlap AND SystemModstamp < run_start``.
  The upper bound is the run's start, so a record changed while the run reads is left to the next
  run instead of being half seen; the overlap re-reads a little of the previous window because
  ``SystemModstamp`` is stamped at commit and a long transaction can commit after the previous run
  started. Re-read rows are harmless: the load is an upsert by external id.
- No ORDER BY and no LIMIT: both switch off PK chunking, and paging on a non-unique timestamp loops.
- Datetime literals are UTC with a ``Z`` and whole seconds, rounded down. Both bounds are rounded
  the same way, so consecutive windows still meet exactly.
- ``HighWaterMark.advance_to(run_start)`` is called only once a run's load is durable; it never
  moves back, so a clock stepping back between runs re-reads rows rather than skipping them.
- Names are checked against the API-name shape before they reach a statement; the values of a
  SELECT are never user text, so there is no quoting to get wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bulk_o2c.errors import ConfigError

DEFAULT_CURSOR_FIELD = "SystemModstamp"
DEFAULT_OVERLAP = timedelta(minutes=10)

_NAME = r"[A-Za-z][A-Za-z0-9_]*"
_OBJECT_RE = re.compile(rf"^{_NAME}$")
# Child-to-parent paths such as Account.Owner.Name are allowed; Bulk 2.0 refuses parent-to-child.
_FIELD_RE = re.compile(rf"^{_NAME}(?:\.{_NAME})*$")


def soql_datetime(value: datetime) -> str:
    """``2024-01-31T08:00:00Z`` for an aware datetime (naive ones are refused: their zone is a guess)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a SOQL datetime needs a time zone; naive datetimes are ambiguous")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def select(sobject: str, fields: Sequence[str], where: str | None = None) -> str:
    """``SELECT f1, f2 FROM Object [WHERE ...]`` with the names checked."""
    if not _OBJECT_RE.match(sobject):
        raise ConfigError(f"{sobject!r} is not a Salesforce object API name")
    if not fields:
        raise ConfigError(f"no fields to select from {sobject}")
    bad = [f for f in fields if not _FIELD_RE.match(f)]
    if bad:
        raise ConfigError(f"not Salesforce field API names: {', '.join(map(repr, bad))}")
    lowered = [f.lower() for f in fields]
    if len(set(lowered)) != len(lowered):
        raise ConfigError(f"a field is selected twice from {sobject}")
    # Every name matched the API-name pattern above, so nothing here can change the statement's shape.
    statement = f"SELECT {', '.join(fields)} FROM {sobject}"  # noqa: S608
    return f"{statement} WHERE {where}" if where else statement


@dataclass(frozen=True, slots=True)
class DeltaWindow:
    """The rows changed in ``[start, end)``; ``start`` None means everything before ``end``.

    A window can be empty (at SOQL's one-second resolution): this machine's clock is behind the
    last run's start by more than the overlap, or two runs started in the same second with no
    overlap. An empty window holds no rows to read; it is not an error, and the mark it came from
    stays where it was (``HighWaterMark.advance_to`` never moves back), so no row is skipped.
    """

    start: datetime | None
    end: datetime
    cursor_field: str = DEFAULT_CURSOR_FIELD

    def __post_init__(self) -> None:
        if not _FIELD_RE.match(self.cursor_field):
            raise ConfigError(f"{self.cursor_field!r} is not a Salesforce field API name")

    @property
    def empty(self) -> bool:
        return self.start is not None and soql_datetime(self.start) >= soql_datetime(self.end)

    def describe(self) -> str:
        start = "the beginning" if self.start is None else soql_datetime(self.start)
        return f"[{start}, {soql_datetime(self.end)})"

    def where(self) -> str:
        upper = f"{self.cursor_field} < {soql_datetime(self.end)}"
        if self.start is None:
            return upper
        return f"{self.cursor_field} >= {soql_datetime(self.start)} AND {upper}"


@dataclass(frozen=True, slots=True)
class HighWaterMark:
    """The start of the last run whose load is durable; None before the first complete run."""

    value: datetime | None = None

    def __post_init__(self) -> None:
        if self.value is not None and self.value.utcoffset() is None:
            raise ValueError("the high-water mark needs a time zone")

    def window(
        self,
        run_start: datetime,
        *,
        overlap: timedelta = DEFAULT_OVERLAP,
        cursor_field: str = DEFAULT_CURSOR_FIELD,
    ) -> DeltaWindow:
        if overlap < timedelta(0):
            raise ValueError("the overlap cannot be negative")
        start = None if self.value is None else self.value - overlap
        return DeltaWindow(start=start, end=run_start, cursor_field=cursor_field)

    def advance_to(self, run_start: datetime) -> HighWaterMark:
        if run_start.utcoffset() is None:
            raise ValueError("the run start needs a time zone")
        if self.value is not None and run_start <= self.value:
            return self
        return HighWaterMark(run_start)

    def to_text(self) -> str | None:
        return None if self.value is None else self.value.astimezone(UTC).isoformat()

    @classmethod
    def from_text(cls, text: str | None) -> HighWaterMark:
        return cls(None if text is None else datetime.fromisoformat(text))
