"""Values written through ingest jobs, laid over the generated rows.

Rules this module owns:

- A write stores the new field values of one record, keyed by object and slot. ``None`` is a value
  (the field was set to null with ``#N/A``); a field never written keeps its generated value.
- Like real Salesforce, *every* successful write moves SystemModstamp to the write time and
  LastModifiedById to the writing user, even when only integration-owned fields changed. A delta
  query by SystemModstamp therefore selects the records the integration just wrote back; loop
  prevention is the client's job (for example: compare LastModifiedById with its own user, or skip
  rows whose only change is the fields it owns).
- ``snapshot(object)`` freezes one object's writes. A query job takes it when it is created (the
  moment Salesforce would run the query), so its row count and its pages agree whatever is written
  while they are downloaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bulk_o2c.sandbox.salesforce.clock import format_datetime
from bulk_o2c.sandbox.salesforce.dataset import Row


@dataclass(frozen=True, slots=True)
class RecordWrite:
    values: Mapping[str, str | None]
    modstamp_ms: int
    by_user_id: str


@dataclass(frozen=True, slots=True)
class ObjectWrites:
    """One object's writes at one moment (or live, when owned by ``WriteOverlay``)."""

    by_slot: Mapping[int, RecordWrite] = field(default_factory=dict)

    def modstamp_ms(self, slot: int, generated_ms: int) -> int:
        write = self.by_slot.get(slot)
        return generated_ms if write is None else write.modstamp_ms

    def apply(self, slot: int, row: Row) -> Row:
        write = self.by_slot.get(slot)
        if write is not None:
            row.update(write.values)
            row["SystemModstamp"] = format_datetime(write.modstamp_ms)
            row["LastModifiedById"] = write.by_user_id
        return row


class WriteOverlay:
    def __init__(self) -> None:
        self._writes: dict[str, dict[int, RecordWrite]] = {}

    def write(
        self, sobject: str, slot: int, values: Mapping[str, str | None], at_ms: int, by_user_id: str
    ) -> None:
        slots = self._writes.setdefault(sobject, {})
        previous = slots.get(slot)
        merged = {**previous.values, **values} if previous is not None else dict(values)
        slots[slot] = RecordWrite(merged, at_ms, by_user_id)

    def live(self, sobject: str) -> ObjectWrites:
        return ObjectWrites(self._writes.setdefault(sobject, {}))

    def snapshot(self, sobject: str) -> ObjectWrites:
        return ObjectWrites(dict(self._writes.get(sobject, {})))

    def written(self, sobject: str) -> Mapping[int, RecordWrite]:
        return dict(self._writes.get(sobject, {}))
