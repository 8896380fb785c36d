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
    nested dataclasses). Every field counts, ``repr=False`` ones included; sets and dicts are
    refused because their order can differ between processes.
    """
    if not dataclasses.is_dataclass(record) or isinstance(record, type):
        raise TypeError(f"a fingerprint is taken of a dataclass record, not {type(record).__name__}")
    return hashlib.blake2b(repr(_canonical(record)).encode("utf-8"), digest_size=16).hexdigest()


# Per dataclass type, its field names: ``dataclasses.fields`` per value was most of the fingerprint's
# cost, and every record a run loads is fingerprinted. Values that stand for themselves are checked
# first, as most of a record's values are one of them. The canonical form, so every digest, is the
# same as before this cache.
_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}
_ATOMS = frozenset({str, type(None), bool, int, float, Decimal, date, datetime})


def _field_names(kind: type) -> tuple[str, ...] | None:
    """The dataclass fields of ``kind`` in order, or None when it is not a dataclass."""
    try:
        return _FIELD_NAMES[kind]
    except KeyError:
        names = tuple(f.name for f in dataclasses.fields(kind)) if dataclasses.is_dataclass(kind) else None
        _FIELD_NAMES[kind] = names
        return names


def _canonical(value: object) -> object:
    kind = type(value)
    if kind in _ATOMS:
        return value
    names = _field_names(kind)
    if names is not None:
        return (kind.__qualname__, tuple((name, _canonical(getattr(value, name))) for name in names))
    if isinstance(value, tuple | list):
        return tuple(_canonical(item) for item in value)
    if isinstance(value, set | frozenset | dict):
        raise TypeError("a fingerprinted record may not hold sets or dicts: their order is not stable")
    return value
