"""The emulated account applying an ``upsertList``: records in submitted order, one outcome each.

Rules this module owns:
- Records are processed in the order submitted (NetSuite does the same), so an order may
  reference a customer written earlier in the same request.
- Each record is independent: an injected RCRD_HAS_BEEN_CHANGED or a validation error refuses that
  record only; the others are still written.
- Upsert: a new (type, externalId) is created with the next internal id; a known one is updated.
- The item catalogue is a record type of its own (``item``), keyed by external id like the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from bulk_o2c.sandbox.netsuite.config import NetSuiteSandboxConfig
from bulk_o2c.sandbox.netsuite.faults import FaultPlan
from bulk_o2c.sandbox.netsuite.outcomes import StatusDetail, WriteOutcome
from bulk_o2c.sandbox.netsuite.soap_request import IncomingRecord
from bulk_o2c.sandbox.netsuite.store import RecordStore
from bulk_o2c.sandbox.netsuite.validation import ITEM_RECORD_TYPE, validate

RECORD_CHANGED = StatusDetail("RCRD_HAS_BEEN_CHANGED", "Record has been changed")
# Oracle: warnings carry code USER_ERROR and a self-describing message (Warning Status Codes page).
INJECTED_WARNING = StatusDetail("USER_ERROR", "The record was saved with a sandbox-injected warning.", "WARN")


def request_load(records: Sequence[IncomingRecord]) -> tuple[dict[str, int], int]:
    """Records per type and sales order lines in a request: the inputs of the latency model."""
    counts = Counter(record.record_type or record.type_name for record in records)
    lines = sum(
        len(item_list)
        for record in records
        if record.record_type == "salesOrder" and isinstance(item_list := record.fields.get("itemList"), list)
    )
    return dict(counts), lines


class Account:
    def __init__(self, config: NetSuiteSandboxConfig, plan: FaultPlan) -> None:
        self.store = RecordStore()
        self._config = config
        self._plan = plan
        # Sorted, so catalogue internal ids do not depend on set order.
        self.add_items(sorted(config.items | config.discount_items))

    def add_items(self, external_ids: Iterable[str]) -> None:
        for external_id in external_ids:
            if self.store.internal_id(ITEM_RECORD_TYPE, external_id) is None:
                self.store.upsert(ITEM_RECORD_TYPE, external_id, {})

    def write(self, records: Sequence[IncomingRecord]) -> list[WriteOutcome]:
        return [self._write_one(record) for record in records]

    def _write_one(self, record: IncomingRecord) -> WriteOutcome:
        if self._plan.take_record_change():
            return WriteOutcome(record.record_type, record.external_id, details=(RECORD_CHANGED,))
        problem = validate(record, self.store, self._config)
        if problem is not None:
            return WriteOutcome(record.record_type, record.external_id, details=(problem,))
        # validate() has refused records without a known type or an externalId.
        assert record.record_type is not None
        assert record.external_id is not None
        internal_id = self.store.upsert(record.record_type, record.external_id, record.fields)
        details = (INJECTED_WARNING,) if self._plan.take_warning() else ()
        return WriteOutcome(record.record_type, record.external_id, internal_id, details)
