"""The record store: keys, internal ids, merge on update, write counts."""

from __future__ import annotations

from bulk_o2c.sandbox.netsuite.store import RecordStore


def test_internal_ids_count_per_type_and_keys_ignore_case() -> None:
    store = RecordStore()
    assert store.upsert("customer", "C-1", {"companyName": "A"}) == "1"
    assert store.upsert("customer", "C-2", {}) == "2"
    assert store.upsert("salesOrder", "C-1", {}) == "1"
    assert store.upsert("customer", "c-1", {}) == "1"
    assert store.internal_id("customer", "C-1") == store.internal_id("customer", "c-1") == "1"
    assert store.internal_id("customer", "C-3") is None
    assert store.internal_id("contact", "C-1") is None
    assert store.counts() == {"customer": 2, "salesOrder": 1}


def test_an_update_merges_fields_and_counts_writes() -> None:
    store = RecordStore()
    store.upsert("customer", "C-1", {"companyName": "A", "email": "a@x"})
    store.upsert("customer", "C-1", {"companyName": "B", "phone": "1"})
    [record] = store.records("customer")
    assert record.fields == {"companyName": "B", "email": "a@x", "phone": "1"}
    assert (record.internal_id, record.external_id, record.write_count) == ("1", "C-1", 2)


def test_internal_id_lookup_is_bounded() -> None:
    store = RecordStore()
    store.upsert("item", "SKU-1", {})
    assert store.has_internal_id("item", "1")
    assert not store.has_internal_id("item", "2")
    assert not store.has_internal_id("item", "0")
    assert not store.has_internal_id("item", "-1")
    assert not store.has_internal_id("customer", "1")


def test_records_can_be_read_in_slices() -> None:
    store = RecordStore()
    for n in range(5):
        store.upsert("customer", f"C-{n}", {"n": str(n)})
    assert [r.external_id for r in store.records("customer", 3)] == ["C-3", "C-4"]
    assert [r.external_id for r in store.records("customer", 1, 2)] == ["C-1", "C-2"]
    assert store.records("customer", 9) == []
    assert store.records("nothing") == []
