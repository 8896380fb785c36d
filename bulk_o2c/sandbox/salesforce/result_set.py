"""The rows a query job returns, walked by slot so no result set is ever materialised.

Rules this module owns:

- A result set is (object, windows, the writes of the object and of every windowed parent, frozen
  when the job is created). Rows are the object's slots, in slot order, whose row exists, whose
  SystemModstamp (written or generated) is inside the object's window and whose parents'
  SystemModstamps are inside theirs (``Order.SystemModstamp`` on OrderItem). Paging by slot means
  a locator is just "the slot to resume from", valid for as long as the job exists, and any
  ``maxRecords`` can follow any other.
- Parent fields (``Product2.ProductCode``) are read from the parent's current row; a null foreign
  key gives an empty value, and the column is present either way.
- A page a ``resultPages`` listing measured is kept (the last ``MEASURED_PAGES_KEPT``) until it
  is downloaded, so a client that lists and then downloads does not make the server walk twice.
- Counting scans only SystemModstamp values and yields to the event loop every ``SCAN_STEP`` slots,
  so a million-row count does not freeze the server.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from bulk_o2c.sandbox.salesforce.dataset import Dataset, Row
from bulk_o2c.sandbox.salesforce.schema import OBJECTS, ORDER_ITEM
from bulk_o2c.sandbox.salesforce.soql import Column, ModstampWindow, SoqlQuery
from bulk_o2c.sandbox.salesforce.writes import ObjectWrites, WriteOverlay

SCAN_STEP = 20_000
MEASURED_PAGES_KEPT = 20


@dataclass(frozen=True, slots=True)
class _ParentWindow:
    relationship: str
    parent: str
    window: ModstampWindow
    writes: ObjectWrites


class ResultSet:
    """The rows of one query job; create it when the job is created (it freezes the writes)."""

    def __init__(self, dataset: Dataset, query: SoqlQuery, overlay: WriteOverlay) -> None:
        self._dataset = dataset
        self._query = query
        self._writes = overlay.snapshot(query.sobject)
        self._overlay = overlay
        self._sobject = query.sobject
        relationships = OBJECTS[query.sobject].relationships
        self._parent_windows = tuple(
            _ParentWindow(
                name, relationships[name].parent, window, overlay.snapshot(relationships[name].parent)
            )
            for name, window in query.parent_windows.items()
        )
        self._slot_count = dataset.slot_count(query.sobject)
        self._measured: OrderedDict[tuple[int, int], tuple[list[int], int | None]] = OrderedDict()
        # Dense objects without a window match every slot: no scan needed.
        self._dense = (
            query.window.is_everything and not self._parent_windows and query.sobject != ORDER_ITEM.name
        )

    @property
    def header(self) -> list[str]:
        return [column.label for column in self._query.columns]

    def _matches(self, slot: int) -> bool:
        dataset = self._dataset
        if not dataset.has_slot(self._sobject, slot):
            return False
        modstamp = self._writes.modstamp_ms(slot, dataset.modstamp_ms(self._sobject, slot))
        if not self._query.window.contains(modstamp):
            return False
        for parent in self._parent_windows:
            parent_slot = dataset.parent_slot(self._sobject, slot, parent.relationship)
            parent_modstamp = parent.writes.modstamp_ms(
                parent_slot, dataset.modstamp_ms(parent.parent, parent_slot)
            )
            if not parent.window.contains(parent_modstamp):
                return False
        return True

    def slots(self, start: int) -> Iterator[int]:
        if self._dense:
            yield from range(start, self._slot_count)
            return
        for slot in range(start, self._slot_count):
            if self._matches(slot):
                yield slot

    async def count(self) -> int:
        if self._dense:
            return self._slot_count
        total = 0
        for step_start in range(0, self._slot_count, SCAN_STEP):
            total += sum(map(self._matches, range(step_start, min(step_start + SCAN_STEP, self._slot_count))))
            await asyncio.sleep(0)
        return total

    def page(self, start: int, max_records: int) -> tuple[list[int], int | None]:
        """Up to ``max_records`` matching slots from ``start``, and the slot the next page starts at."""
        measured = self._measured.pop((start, max_records), None)
        if measured is not None:
            return measured
        walk = self.slots(start)
        page = [slot for _, slot in zip(range(max_records), walk, strict=False)]
        return page, next(walk, None)

    def measure(self, start: int, max_records: int) -> int | None:
        """Where the page after the one at ``start`` begins (for a ``resultPages`` listing). The page
        is kept until it is downloaded, so listing and downloading walk the slots once, not twice."""
        key = (start, max_records)
        if key not in self._measured:
            self._measured[key] = self.page(start, max_records)
            while len(self._measured) > MEASURED_PAGES_KEPT:
                self._measured.popitem(last=False)  # listed long ago and never downloaded
        return self._measured[key][1]

    def values(self, slot: int, parents: dict[tuple[str, str], Row]) -> list[str | None]:
        """The selected values of one row; ``parents`` caches parent rows for one page."""
        row = self._writes.apply(slot, self._dataset.row(self._sobject, slot))
        return [self._value(row, column, parents) for column in self._query.columns]

    def _value(self, row: Row, column: Column, parents: dict[tuple[str, str], Row]) -> str | None:
        if column.relationship is None:
            return row[column.field]
        relationship = OBJECTS[self._sobject].relationships[column.relationship]
        parent_id = row[relationship.foreign_key]
        if parent_id is None:
            return None
        parent = parents.get((relationship.parent, parent_id))
        if parent is None:
            parent_slot = self._dataset.slot_of(relationship.parent, parent_id)
            if parent_slot is None:
                return None
            parent = self._overlay.live(relationship.parent).apply(
                parent_slot, self._dataset.row(relationship.parent, parent_slot)
            )
            parents[(relationship.parent, parent_id)] = parent
        return parent[column.field]
