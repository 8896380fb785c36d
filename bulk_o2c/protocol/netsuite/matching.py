"""Pair the outcomes of an ``upsertList`` answer with the records sent, by key, never by position.

NetSuite writes one ``writeResponse`` per record in the order sent, but the wire is not trusted: an
answer reordered, cut, padded or mixed up with another request's, matched by position, would give
records each other's internal ids. Those ids would be written back to Salesforce, and the next run
would skip the records as unchanged: the damage would be permanent.

Rules this module owns:
- A record's key is its record type and externalId; an outcome's key is its ``baseRef``'s ``type``
  and ``externalId``. Keys are compared without regard to case: NetSuite's external ids are
  case-insensitive within a record type (reference netsuite-soap.md section 1.4), so it may echo
  one in the case it stored first.
- Each outcome with a key takes the record sent with that key. Records sent twice under one key
  take that key's outcomes in the order sent. The order of the answer does not matter otherwise:
  a reordered answer is matched correctly.
- ``baseRef`` is optional in the schema (``minOccurs="0"``), so NetSuite may answer a record it
  could not identify without one. An outcome without an externalId is therefore matched by its
  position, but only when it is a failure and the record at that position is claimed by no keyed
  outcome. At worst that files the wrong reason for a record that was not saved; it never gives a
  record an internal id, so a saved outcome is never matched by position.
- The whole answer is refused with ``ResponseMismatchError`` (transient: the request is sent again,
  and nothing from this answer is kept) when the number of outcomes differs from the records sent;
  an outcome names a key not sent (an externalId without a type included), or a key more often than
  it was sent; an outcome without an externalId cannot be placed as above; or a saved outcome lacks
  its externalId or its internalId.
- Messages name positions and counts, never values from the wire: those are record data, and may be
  long or hostile.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from bulk_o2c.errors import ResponseMismatchError
from bulk_o2c.protocol.netsuite.outcomes import WriteOutcome

SentKey = tuple[str, str]
"""(record type, externalId) of one record sent, as in ``EncodedRecord``."""


def _normal(record_type: str, external_id: str) -> SentKey:
    return record_type.casefold(), external_id.casefold()


def match_outcomes(outcomes: Sequence[WriteOutcome], sent: Sequence[SentKey]) -> list[WriteOutcome]:
    """One outcome per record of ``sent``, in the order of ``sent``; raise ``ResponseMismatchError``
    for an answer that does not pair off with the records one for one."""
    if len(outcomes) != len(sent):
        raise ResponseMismatchError(f"upsertList answered {len(outcomes)} outcomes for {len(sent)} records")
    waiting: dict[SentKey, deque[int]] = {}
    for index, (record_type, external_id) in enumerate(sent):
        waiting.setdefault(_normal(record_type, external_id), deque()).append(index)
    matched: list[WriteOutcome | None] = [None] * len(sent)
    keyless: list[int] = []
    for position, outcome in enumerate(outcomes):
        where = f"writeResponse {position + 1} of {len(outcomes)}"
        if outcome.saved and not outcome.internal_id:
            raise ResponseMismatchError(f"{where} reports a record saved without its internalId")
        if not outcome.external_id:
            if outcome.saved:
                raise ResponseMismatchError(f"{where} reports a record saved without its externalId")
            keyless.append(position)
            continue
        key = _normal(outcome.record_type or "", outcome.external_id)
        indices = waiting.get(key)
        if indices is None:
            raise ResponseMismatchError(f"{where} is for a record that was not sent")
        if not indices:
            raise ResponseMismatchError(f"{where} answers a record more often than it was sent")
        matched[indices.popleft()] = outcome
    for position in keyless:
        if matched[position] is not None:
            raise ResponseMismatchError(
                f"writeResponse {position + 1} of {len(outcomes)} names no record, and the record sent "
                "at its place is answered by another"
            )
        matched[position] = outcomes[position]
    # Every slot is filled: as many outcomes as records, each keyed one in its own slot, and each
    # keyless one in a slot no keyed one took.
    return [outcome for outcome in matched if outcome is not None]
