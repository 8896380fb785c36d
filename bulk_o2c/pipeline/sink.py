"""Where mapped records go: the NetSuite writer as the pipeline sees it, replaceable by design.

SuiteTalk SOAP ends with NetSuite 2028.2; a REST writer will stand beside ``SoapSink`` by offering
the same two calls. ``DryRunSink`` writes the exact envelopes a run would send to files instead
(with a placeholder passport: a dry run needs no credentials and writes none).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count
from pathlib import Path
from typing import Protocol

import anyio

from bulk_o2c.protocol.netsuite.envelope import EncodedRecord, RecordEncoder, build_upsert_list
from bulk_o2c.protocol.netsuite.passport import TokenPassport
from bulk_o2c.protocol.netsuite.records import NetSuiteRecord
from bulk_o2c.transport.netsuite.writer import NetSuiteWriter, RecordResult


class RecordSink(Protocol):
    def encode(self, record: NetSuiteRecord) -> EncodedRecord:
        """The record's wire form; raises ``PermanentError`` for a record that cannot be sent."""
        ...

    async def write_chunk(self, records: Sequence[EncodedRecord]) -> list[RecordResult]:
        """Upsert one chunk; one result per record, in input order. Never raises for a record."""
        ...

    def in_flight(self) -> int:
        """Requests on the wire now (for the progress display)."""
        ...


class SoapSink:
    def __init__(self, writer: NetSuiteWriter, version: str) -> None:
        self._writer = writer
        self._encoder = RecordEncoder(version)

    def encode(self, record: NetSuiteRecord) -> EncodedRecord:
        return self._encoder.encode(record)

    async def write_chunk(self, records: Sequence[EncodedRecord]) -> list[RecordResult]:
        return await self._writer.write_chunk(records)

    def in_flight(self) -> int:
        return self._writer.client.limiter.in_flight


class DryRunSink:
    """Writes ``<n>-<record type>.xml`` envelopes into ``out_dir`` and reports every record saved,
    with internal id ``dry-run``, so dependent flows can be previewed too."""

    PLACEHOLDER_PASSPORT_VALUE = "DRY-RUN"

    def __init__(self, out_dir: Path, version: str, account: str) -> None:
        self._out = out_dir
        self._version = version
        self._encoder = RecordEncoder(version)
        self._numbers = count(1)
        self._passport = TokenPassport(
            account=account,
            consumer_key=self.PLACEHOLDER_PASSPORT_VALUE,
            token=self.PLACEHOLDER_PASSPORT_VALUE,
            nonce="DRYRUN000",
            timestamp=0,
            signature=self.PLACEHOLDER_PASSPORT_VALUE,
        )
        out_dir.mkdir(parents=True, exist_ok=True)

    def encode(self, record: NetSuiteRecord) -> EncodedRecord:
        return self._encoder.encode(record)

    async def write_chunk(self, records: Sequence[EncodedRecord]) -> list[RecordResult]:
        body = build_upsert_list([r.xml for r in records], self._passport, version=self._version)
        path = self._out / f"{next(self._numbers):06d}-{records[0].record_type}.xml"
        await anyio.Path(path).write_bytes(body)
        return [
            RecordResult(r.external_id, r.record_type, True, "dry-run", None, None, (), 0) for r in records
        ]

    def in_flight(self) -> int:
        return 0
