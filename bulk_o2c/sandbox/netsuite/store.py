"""The account's records: keyed by (record type, external id), numbered by internal id.

Rules this module owns:
- External ids are case-insensitive (``CUST-1`` and ``cust-1`` are one record); the spelling of the
  first write is the one kept.
- Internal ids count up from 1 per record type and never change; an update keeps the internal id
  and bumps ``write_count``.
- An update merges: fields it sends replace the stored ones, fields it omits are kept (NetSuite
  leaves unsent fields alone).
- Storage is compact because benchmarks write millions of records: per type, parallel lists indexed
  by internal id, and the fields of each record as one orjson blob, decoded only when read.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import orjson

from bulk_o2c.sandbox.netsuite.soap_request import Fields


@dataclass(frozen=True, slots=True)
class StoredRecord:
    record_type: str
    internal_id: str
    external_id: str
    fields: Fields
    write_count: int


class _Table:
    __slots__ = ("blobs", "by_key", "external_ids", "write_counts")

    def __init__(self) -> None:
        self.by_key: dict[str, int] = {}
        self.external_ids: list[str] = []
        self.blobs: list[bytes] = []
        self.write_counts = array("L")


def _key(external_id: str) -> str:
    return external_id.casefold()


def _encode(fields: Fields) -> bytes:
    # orjson hands back a 4 KiB buffer for any small document; the copy keeps just the bytes used.
    return bytes(memoryview(orjson.dumps(fields)))


def _decode(blob: bytes) -> Fields:
    fields: Fields = orjson.loads(blob)
    return fields


class RecordStore:
    def __init__(self) -> None:
        self._tables: dict[str, _Table] = {}

    def _table(self, record_type: str) -> _Table:
        table = self._tables.get(record_type)
        if table is None:
            table = self._tables[record_type] = _Table()
        return table

    def internal_id(self, record_type: str, external_id: str) -> str | None:
        table = self._tables.get(record_type)
        position = None if table is None else table.by_key.get(_key(external_id))
        return None if position is None else str(position + 1)

    def has_internal_id(self, record_type: str, internal_id: str) -> bool:
        table = self._tables.get(record_type)
        return table is not None and internal_id.isdigit() and 1 <= int(internal_id) <= len(table.blobs)

    def external_id(self, record_type: str, internal_id: str) -> str | None:
        if not self.has_internal_id(record_type, internal_id):
            return None
        return self._tables[record_type].external_ids[int(internal_id) - 1]

    def fields(self, record_type: str, external_id: str) -> Fields | None:
        table = self._tables.get(record_type)
        position = None if table is None else table.by_key.get(_key(external_id))
        return None if table is None or position is None else _decode(table.blobs[position])

    def upsert(self, record_type: str, external_id: str, fields: Fields) -> str:
        """Create or merge-update the record; return its internal id."""
        table = self._table(record_type)
        key = _key(external_id)
        position = table.by_key.get(key)
        if position is None:
            position = len(table.blobs)
            table.by_key[key] = position
            table.external_ids.append(external_id)
            table.blobs.append(_encode(fields))
            table.write_counts.append(1)
        else:
            table.blobs[position] = _encode(_decode(table.blobs[position]) | fields)
            table.write_counts[position] += 1
        return str(position + 1)

    def count(self, record_type: str) -> int:
        table = self._tables.get(record_type)
        return 0 if table is None else len(table.blobs)

    def counts(self) -> dict[str, int]:
        return {record_type: len(table.blobs) for record_type, table in self._tables.items()}

    def records(self, record_type: str, offset: int = 0, limit: int | None = None) -> list[StoredRecord]:
        """Records of one type in internal-id order (a slice of them with offset/limit)."""
        table = self._tables.get(record_type)
        if table is None:
            return []
        stop = len(table.blobs) if limit is None else min(len(table.blobs), offset + limit)
        return [
            StoredRecord(
                record_type=record_type,
                internal_id=str(position + 1),
                external_id=table.external_ids[position],
                fields=_decode(table.blobs[position]),
                write_count=table.write_counts[position],
            )
            for position in range(offset, stop)
        ]
