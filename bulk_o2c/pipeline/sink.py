"""Where mapped records go: the NetSuite writer as the pipeline sees it, replaceable by design.

SuiteTalk SOAP ends with NetSuite 2028.2; a REST writer will stand beside ``SoapSink`` by offering
the same two calls. ``DryRunSink`` writes the exact envelopes a run would send to files instead
(with a placeholder passport: a dry run needs no credentials and writes none), readable by their
owner only, as the checkpoint: they hold customer data.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Protocol

import anyio

from bulk_o2c.errors import BulkO2CError, ConfigError, PermanentError
from bulk_o2c.private_files import make_private_dir, write_private
from bulk_o2c.protocol.netsuite.envelope import EncodedRecord, RecordEncoder, build_upsert_list
from bulk_o2c.protocol.netsuite.faults import SoapFault
from bulk_o2c.protocol.netsuite.passport import TokenPassport
from bulk_o2c.protocol.netsuite.records import NetSuiteRecord
from bulk_o2c.transport.netsuite.writer import NetSuiteWriter, RecordResult

log = logging.getLogger(__name__)

# Well inside what NetSuite tolerates, which Oracle does not publish; enough to catch a drifting clock.
CLOCK_SKEW_WARNING_S = 60.0


class RecordSink(Protocol):
    async def check(self) -> None:
        """Prove NetSuite answers and takes the credentials, and bound the concurrency by what it
        reports, before a run extracts anything."""
        ...

    def concurrency(self) -> int:
        """The most requests this sink may have in flight (what the loaders size their workers by)."""
        ...

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
    def __init__(
        self,
        writer: NetSuiteWriter,
        version: str,
        setup_check: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._writer = writer
        self._encoder = RecordEncoder(version)
        # More checks after auth, clock and bound (the run's: role and reference data).
        self._setup_check = setup_check

    async def check(self) -> None:
        try:
            server = await self._writer.check()
        except PermanentError as exc:
            raise ConfigError(
                f"NetSuite refused the check a run starts with ({exc}): {refusal_advice(exc)}"
            ) from None
        skew = (datetime.now(UTC) - server).total_seconds()
        if abs(skew) > CLOCK_SKEW_WARNING_S:
            log.warning(
                "this machine's clock is %.0f s %s NetSuite's: NetSuite refuses a tokenPassport whose "
                "timestamp is too far from its own clock (INVALID_LOGIN_ATTEMPT); set the clock right",
                abs(skew),
                "ahead of" if skew > 0 else "behind",
            )
        await self._writer.bind_concurrency()
        if self._setup_check is not None:
            await self._setup_check()

    def concurrency(self) -> int:
        return self._writer.client.limiter.max_limit

    def encode(self, record: NetSuiteRecord) -> EncodedRecord:
        return self._encoder.encode(record)

    async def write_chunk(self, records: Sequence[EncodedRecord]) -> list[RecordResult]:
        return await self._writer.write_chunk(records)

    def in_flight(self) -> int:
        return self._writer.client.limiter.in_flight


def refusal_advice(refusal: BulkO2CError) -> str:
    if isinstance(refusal, SoapFault) and (
        refusal.fault_name == "invalidCredentialsFault" or refusal.code.startswith("INVALID_LOGIN")
    ):
        return (
            "check netsuite.account_id, the consumer and token credentials, the role's web services "
            "permission, and this machine's clock"
        )
    return "check netsuite.soap_url (or netsuite.account_id, which it follows) and netsuite.endpoint_version"


class DryRunSink:
    """Writes ``<n>-<record type>.xml`` envelopes into ``out_dir`` and reports every record saved,
    with internal id ``dry-run``, so dependent flows can be previewed too."""

    PLACEHOLDER_PASSPORT_VALUE = "DRY-RUN"

    def __init__(self, out_dir: Path, version: str, account: str, concurrency: int = 1) -> None:
        self._out = out_dir
        self._concurrency = concurrency
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
        make_private_dir(out_dir, f"the dry-run payloads in {out_dir}")

    async def check(self) -> None:
        """Nothing to check: a dry run sends nothing and needs no credentials."""

    def encode(self, record: NetSuiteRecord) -> EncodedRecord:
        return self._encoder.encode(record)

    async def write_chunk(self, records: Sequence[EncodedRecord]) -> list[RecordResult]:
        body = build_upsert_list([r.xml for r in records], self._passport, version=self._version)
        path = self._out / f"{next(self._numbers):06d}-{records[0].record_type}.xml"
        await anyio.to_thread.run_sync(write_private, path, body, f"the dry-run payload {path}")
        return [
            RecordResult(r.external_id, r.record_type, True, "dry-run", None, None, (), 0) for r in records
        ]

    def in_flight(self) -> int:
        return 0

    def concurrency(self) -> int:
        return self._concurrency
