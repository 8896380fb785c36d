"""Loop prevention: the next delta must not send NetSuite what only the write-back changed.

Why: the write-back updates the records a run extracted, after the run started, so every one of
them falls into the next run's window (``SystemModstamp >= previous start - overlap``). Unguarded,
each would be mapped and upserted again (harmless to the data, but it spends the shared NetSuite
concurrency pool, the throughput ceiling) and written back again: a record touched once would come
back on every run, forever.

Rules this module owns:

- The guard that is always on is a fingerprint of the *mapped* NetSuite record. The pipeline keeps
  it with the id cross-reference when an upsert succeeds, and drops a re-extracted record whose
  fingerprint has not changed. Written-back fields and system stamps are never mapped to NetSuite,
  so they cannot move it; a real change to a mapped field always does, whoever made it and whenever.
  The cost is that echoed records are still extracted and mapped once more (microseconds each);
  NetSuite never sees them. A change in the mapping code changes fingerprints, which re-sends
  records once: the safe direction.
- Not used: a ``LastModifiedById != '<integration user>'`` condition, which would stop echoed
  records being extracted at all, at a price: a person's edit made between the extraction and the
  write-back hides behind the write-back's ``LastModifiedById`` until someone edits the record
  again, and so do real changes by anything else running as that user.
- Not used: a "synced at" stamp compared with ``SystemModstamp``. SOQL cannot compare two fields
  (only a field with a literal), so it needs a formula field in every org, and the stamp is
  written before Salesforce sets its own ``SystemModstamp``, so it needs a tolerance that hides
  edits too.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, datetime
from decimal import Decimal


def record_fingerprint(record: object) -> str:
    """A stable digest of a mapped record: equal for equal field values, across runs and processes.

    ``record`` is a dataclass of plain values (str, bool, numbers, Decimal, datetime, tuples and
    nested dataclasses). Every field counts, ``repr=False`` ones included, except that a field
    declared with ``metadata={"fingerprint": "when set"}`` counts only when it is not None: a field
    added to a record type later leaves the digests of records that do not use it as they were, so
    an upgrade does not re-send every record once. Sets and dicts are refused because their order
    can differ between processes.
    """
    if not dataclasses.is_dataclass(record) or isinstance(record, type):
        raise TypeError(f"a fingerprint is taken of a dataclass record, not {type(record).__name__}")
    return hashlib.blake2b(_canonical_text(record).encode("utf-8"), digest_size=16).hexdigest()


# The digested text is the ``repr`` of a canonical tuple form, nested as ``(type name, ((field,
# value), ...))`` for every dataclass, which checkpoints already hold digests of. It is written out
# here rather than built as tuples and passed to ``repr``: a template per dataclass type, filled by
# ``str.format`` in C, makes the same text in a fraction of the time, and every record a run loads is
# fingerprinted. Values that stand for themselves are checked first, as most values are one of them.
_ATOMS = frozenset({str, type(None), bool, int, float, Decimal, date, datetime})


@dataclasses.dataclass(frozen=True, slots=True)
class _Shape:
    template: str  # the text of a value of the type, with a ``{}`` for each field's
    names: tuple[str, ...]


_SHAPES: dict[type, _Shape | None] = {}
_WHEN_SET: dict[type, tuple[str, ...]] = {}  # fields that count only when not None, per type
_PARTIAL_SHAPES: dict[tuple[type, tuple[str, ...]], _Shape] = {}


def _template(kind: type, names: tuple[str, ...]) -> _Shape:
    pairs = ", ".join(f"({name!r}, {{}})" for name in names) + ("," if len(names) == 1 else "")
    name = repr(kind.__qualname__).replace("{", "{{").replace("}", "}}")
    return _Shape(f"({name}, ({pairs}))", names)


def _shape(kind: type) -> _Shape | None:
    """How a dataclass type is written; None when ``kind`` is not a dataclass."""
    try:
        return _SHAPES[kind]
    except KeyError:
        shape = None
        if dataclasses.is_dataclass(kind):
            fields = dataclasses.fields(kind)
            shape = _template(kind, tuple(field.name for field in fields))
            _WHEN_SET[kind] = tuple(f.name for f in fields if f.metadata.get("fingerprint") == "when set")
        _SHAPES[kind] = shape
        return shape


def _shape_of(value: object, shape: _Shape) -> _Shape:
    """``shape`` without the when-set fields that ``value`` leaves None."""
    kind = type(value)
    unset = tuple(name for name in _WHEN_SET[kind] if getattr(value, name) is None)
    if not unset:
        return shape
    try:
        return _PARTIAL_SHAPES[kind, unset]
    except KeyError:
        partial = _template(kind, tuple(name for name in shape.names if name not in unset))
        _PARTIAL_SHAPES[kind, unset] = partial
        return partial


def _canonical_text(value: object) -> str:
    kind = type(value)
    if kind in _ATOMS:
        return repr(value)
    shape = _shape(kind)
    if shape is not None:
        if _WHEN_SET[kind]:
            shape = _shape_of(value, shape)
        return shape.template.format(*[_canonical_text(getattr(value, name)) for name in shape.names])
    if isinstance(value, tuple | list):
        items = [_canonical_text(item) for item in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, set | frozenset | dict):
        raise TypeError("a fingerprinted record may not hold sets or dicts: their order is not stable")
    return repr(value)
