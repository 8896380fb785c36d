"""Write encoded records to NetSuite in chunks and say, for every record, what became of it.

Rules this module owns:

* Every record of a chunk gets exactly one ``RecordResult``, in input order. A result is final:
  ``ok`` means NetSuite holds the record (an ``afterSubmitFailed`` record is saved: its message
  becomes a warning and it is never resent); otherwise ``code`` and ``message`` say why not.
* A request that fails as a whole with a ``TransientError`` is resent whole, with backoff and a
  fresh passport, up to the retry policy's limits; upsert on externalId makes a resend harmless
  even when the lost answer had saved the records. An answer whose outcomes do not pair off with
  the records by key (``ResponseMismatchError``) is such a failure: no record is settled on it.
* ``RequestTooLargeError`` splits the request in halves, recursively; a lone record still too large
  fails. After a record-count fault the writer pre-splits later requests below the size that failed,
  so a chunk size above the account's cap costs a few faults once, not on every chunk.
* Any other error of the request as a whole fails every record of that request with its code and
  message, marked ``retryable``: a ``TransientError`` that outlived its retries (the records may or
  may not be saved; sending them again later is harmless, the upsert sorts it out), or a permanent
  one (credentials, role, account, a wrong URL), which is the setup's fault, not the records'.
* Records NetSuite reports as worth another try (``RecordDisposition.RETRY``) are resent, only
  they, in follow-up requests with backoff, up to the policy's attempt limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import aiohttp
import anyio

from bulk_o2c.config import NetSuiteSettings
from bulk_o2c.errors import BulkO2CError, RequestTooLargeError
from bulk_o2c.protocol.netsuite.envelope import EncodedRecord, Preferences
from bulk_o2c.protocol.netsuite.faults import RecordCountFault, RecordDisposition, SoapFault, classify_outcome
from bulk_o2c.protocol.netsuite.governance import PoolBound
from bulk_o2c.protocol.netsuite.passport import PassportSigner, TbaCredentials
from bulk_o2c.protocol.netsuite.response import StatusDetail, WriteOutcome
from bulk_o2c.transport.body import MIB
from bulk_o2c.transport.limiter import AimdLimiter
from bulk_o2c.transport.metrics import RequestMetrics
from bulk_o2c.transport.netsuite.governance import GovernanceReader, RestGovernance, bind_pool
from bulk_o2c.transport.netsuite.soap_client import SoapClient
from bulk_o2c.transport.retry import RetryPolicy

NO_REASON = "NetSuite did not save the record and gave no reason"


@dataclass(frozen=True, slots=True)
class RecordResult:
    external_id: str
    record_type: str
    ok: bool
    internal_id: str | None
    code: str | None
    message: str | None
    warnings: tuple[str, ...]
    attempts: int
    # Not saved, but not for anything in the record: NetSuite kept failing transiently until the
    # retries ran out, or refused the request as a whole (credentials, role, URL). The record is
    # to be sent again once that is over or fixed (the pipeline stages it again for resume).
    retryable: bool = False


class UpsertListClient(Protocol):
    """What the writer needs from a client: one attempt per call, and the limiter it runs under."""

    limiter: AimdLimiter

    async def upsert_list(self, records: Sequence[EncodedRecord]) -> list[WriteOutcome]:
        """One attempt: one outcome per record, in the order given, each matched to its record by
        key; an answer that does not pair off raises ``ResponseMismatchError``."""
        ...

    async def server_time(self) -> datetime: ...


def _describe(error: BaseException) -> tuple[str, str]:
    if isinstance(error, SoapFault):
        return error.code or error.fault_name or "SOAP_FAULT", error.message
    return type(error).__name__, str(error)


def _detail_text(detail: StatusDetail) -> str:
    return f"{detail.code}: {detail.message}" if detail.code else detail.message


class _Chunk:
    """The records of one ``write_chunk`` call and what is known about each so far."""

    def __init__(self, records: Sequence[EncodedRecord]) -> None:
        self.records = records
        self.attempts = [0] * len(records)
        self.results: list[RecordResult | None] = [None] * len(records)
        self.pending: list[int] = list(range(len(records)))
        # The last reason a record was sent back for another try, used if the tries run out.
        self.last_retry: dict[int, tuple[str, str]] = {}

    def settle(self, i: int, outcome: WriteOutcome) -> None:
        disposition = classify_outcome(outcome)
        errors = outcome.errors
        if disposition is RecordDisposition.SAVED:
            warnings = tuple(_detail_text(d) for d in outcome.warnings)
            # afterSubmitFailed: saved, but a user event script failed after the save.
            warnings += tuple(_detail_text(d) for d in errors)
            self._finish(i, True, outcome.internal_id, None, None, warnings)
        elif disposition is RecordDisposition.RETRY:
            self.pending.append(i)
            self.last_retry[i] = (errors[0].code, errors[0].message)
        elif errors:
            self._finish(i, False, None, errors[0].code, "; ".join(d.message for d in errors), ())
        else:
            self._finish(i, False, None, None, NO_REASON, ())

    def fail(self, i: int, code: str, message: str, *, retryable: bool = False) -> None:
        self._finish(i, False, None, code, message, (), retryable)

    def give_up_pending(self) -> None:
        for i in self.pending:
            self.fail(i, *self.last_retry[i], retryable=True)
        self.pending = []

    def _finish(
        self,
        i: int,
        ok: bool,
        internal_id: str | None,
        code: str | None,
        message: str | None,
        warnings: tuple[str, ...],
        retryable: bool = False,
    ) -> None:
        record = self.records[i]
        self.results[i] = RecordResult(
            record.external_id,
            record.record_type,
            ok,
            internal_id,
            code,
            message,
            warnings,
            self.attempts[i],
            retryable,
        )

    def finished(self) -> list[RecordResult]:
        results = [r for r in self.results if r is not None]
        assert len(results) == len(self.records), "every record gets exactly one result"
        return results


class NetSuiteWriter:
    def __init__(
        self,
        client: UpsertListClient,
        retry: RetryPolicy,
        *,
        governance: GovernanceReader | None = None,
        concurrency_cap: int | None = None,
    ) -> None:
        self.client = client
        self._retry = retry
        self.governance = governance
        self._concurrency_cap = concurrency_cap
        # Requests this size or larger drew a record-count fault: later ones are split first.
        self._records_cap: int | None = None

    async def check(self) -> datetime:
        """NetSuite's clock, asked once before a run (transient failures retried as for any
        request): a wrong URL or refused credentials show before anything is extracted."""
        return await self._retry.call(self.client.server_time)

    async def bind_concurrency(self) -> PoolBound | None:
        """Bound the limiter by what NetSuite reports (under ``netsuite.concurrency``); None when
        this writer has no way to ask, and its limiter keeps the ceiling it was made with."""
        if self.governance is None:
            return None
        return await bind_pool(self.client.limiter, self.governance, self._concurrency_cap)

    async def write_chunk(self, records: Sequence[EncodedRecord]) -> list[RecordResult]:
        chunk = _Chunk(records)

        async def send_pending() -> bool:
            pending, chunk.pending = chunk.pending, []
            await self._send(chunk, pending)
            return not chunk.pending

        if records:
            await self._retry.repeat(send_pending)
            chunk.give_up_pending()
        return chunk.finished()

    async def _send(self, chunk: _Chunk, indices: list[int]) -> None:
        cap = self._records_cap
        if cap is not None and len(indices) > cap > 0:
            await self._send_halves(chunk, indices)
            return
        attempts = 0

        async def attempt() -> list[WriteOutcome]:
            nonlocal attempts
            attempts += 1
            return await self.client.upsert_list([chunk.records[i] for i in indices])

        try:
            outcomes = await self._retry.call(attempt)
        except RequestTooLargeError as exc:
            self._count(chunk, indices, attempts)
            if len(indices) == 1:
                chunk.fail(indices[0], *_describe(exc))
                return
            if isinstance(exc, RecordCountFault):
                self._records_cap = min(self._records_cap or len(indices), len(indices) - 1)
            await self._send_halves(chunk, indices)
            return
        except BulkO2CError as exc:
            self._count(chunk, indices, attempts)
            code, message = _describe(exc)
            for i in indices:
                chunk.fail(i, code, message, retryable=True)
            return
        self._count(chunk, indices, attempts)
        for i, outcome in zip(indices, outcomes, strict=True):
            chunk.settle(i, outcome)

    async def _send_halves(self, chunk: _Chunk, indices: list[int]) -> None:
        middle = (len(indices) + 1) // 2
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._send, chunk, indices[:middle])
            tg.start_soon(self._send, chunk, indices[middle:])

    @staticmethod
    def _count(chunk: _Chunk, indices: list[int], attempts: int) -> None:
        for i in indices:
            chunk.attempts[i] += attempts


@asynccontextmanager
async def open_writer(
    settings: NetSuiteSettings,
    *,
    preferences: Preferences | None = None,
    retry: RetryPolicy | None = None,
    metrics: RequestMetrics | None = None,
) -> AsyncIterator[NetSuiteWriter]:
    """The writer for one run: one HTTP session, and a limiter whose ceiling is ``netsuite.concurrency``
    (or the base pool) until ``bind_concurrency`` sets it to what NetSuite reports."""
    consumer_key, consumer_secret, token_id, token_secret = settings.require_tba()
    credentials = TbaCredentials(
        settings.realm,
        consumer_key.get_secret_value(),
        consumer_secret.get_secret_value(),
        token_id.get_secret_value(),
        token_secret.get_secret_value(),
    )
    # No connection cap of its own: the limiter bounds the requests in flight, so the connections
    # open never outnumber them, whatever bound NetSuite reports.
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        limiter = AimdLimiter(settings.fallback_concurrency)
        client = SoapClient(
            session,
            settings.resolved_soap_url,
            PassportSigner(credentials),
            version=settings.endpoint_version,
            preferences=preferences if preferences is not None else Preferences(),
            limiter=limiter,
            timeout_s=settings.request_timeout_s,
            max_response_bytes=settings.max_response_mib * MIB,
            metrics=metrics,
        )
        rest = RestGovernance(
            session, settings.resolved_rest_url, credentials, limiter, settings.request_timeout_s
        )
        yield NetSuiteWriter(
            client,
            retry if retry is not None else RetryPolicy(max_attempts=settings.max_attempts),
            governance=GovernanceReader(client, rest),
            concurrency_cap=settings.concurrency,
        )
