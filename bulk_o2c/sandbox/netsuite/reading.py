"""What a ``get`` of one record finds in the sandbox account.

Rules this module owns:
- Customers and sales orders are looked up in the record store by externalId (case-insensitive,
  as upsert keys are) or internalId; items of any item type in the catalogue, by externalId or
  internalId; subsidiaries and price levels among the internal ids the account is set up with.
- A type in ``unreadable_record_types`` answers INSUFFICIENT_PERMISSION whether or not the record
  exists (NetSuite checks the role first); a record that is not there answers RCRD_DSNT_EXIST.
  Both texts are NetSuite's wording as far as it is published; the permission text names the type.
"""

from __future__ import annotations

from dataclasses import dataclass

from bulk_o2c.sandbox.netsuite.config import NetSuiteSandboxConfig
from bulk_o2c.sandbox.netsuite.outcomes import StatusDetail
from bulk_o2c.sandbox.netsuite.soap_request import Fields, GetRequest
from bulk_o2c.sandbox.netsuite.store import RecordStore
from bulk_o2c.sandbox.netsuite.validation import ITEM_RECORD_TYPE

ITEM_TYPES = frozenset(
    {
        "inventoryItem",
        "nonInventorySaleItem",
        "nonInventoryResaleItem",
        "serviceSaleItem",
        "serviceResaleItem",
    }
)
NOT_FOUND = StatusDetail("RCRD_DSNT_EXIST", "That record does not exist.")


@dataclass(frozen=True, slots=True)
class ReadOutcome:
    """The record found (its type as asked, its keys, its fields), or why there is none."""

    record_type: str
    internal_id: str | None = None
    external_id: str | None = None
    fields: Fields | None = None
    refusal: StatusDetail | None = None


def _permission_denied(record_type: str) -> StatusDetail:
    return StatusDetail(
        "INSUFFICIENT_PERMISSION",
        f"Permission Violation: You need a higher level of the '{record_type}' permission to access "
        "this page. Please contact your account administrator.",
    )


def _from_store(store: RecordStore, table: str, request: GetRequest) -> ReadOutcome:
    if request.external_id is not None:
        internal_id = store.internal_id(table, request.external_id)
    elif request.internal_id is not None and store.has_internal_id(table, request.internal_id):
        internal_id = request.internal_id
    else:
        internal_id = None
    if internal_id is None:
        return ReadOutcome(request.record_type, refusal=NOT_FOUND)
    (stored,) = store.records(table, int(internal_id) - 1, 1)
    return ReadOutcome(request.record_type, stored.internal_id, stored.external_id, stored.fields)


def read(request: GetRequest, store: RecordStore, config: NetSuiteSandboxConfig) -> ReadOutcome:
    record_type = request.record_type
    if record_type in config.unreadable_record_types:
        return ReadOutcome(record_type, refusal=_permission_denied(record_type))
    if record_type in ("customer", "salesOrder"):
        return _from_store(store, record_type, request)
    if record_type in ITEM_TYPES:
        return _from_store(store, ITEM_RECORD_TYPE, request)
    ids = {"subsidiary": config.subsidiary_ids, "priceLevel": config.price_level_ids}.get(record_type)
    if ids is not None and request.internal_id in ids:
        return ReadOutcome(record_type, request.internal_id, None, {})
    return ReadOutcome(record_type, refusal=NOT_FOUND)
