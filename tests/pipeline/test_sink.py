"""SoapSink.check: what a run is told before it starts, by cause."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bulk_o2c.errors import ConfigError, PermanentError
from bulk_o2c.pipeline.sink import SoapSink
from bulk_o2c.protocol.netsuite.envelope import EncodedRecord
from bulk_o2c.protocol.netsuite.faults import fault_from
from bulk_o2c.protocol.netsuite.response import WriteOutcome
from bulk_o2c.transport.limiter import AimdLimiter
from bulk_o2c.transport.netsuite.writer import NetSuiteWriter
from bulk_o2c.transport.retry import RetryPolicy


class Clock:
    """A NetSuite that answers getServerTime with ``answer`` (or raises it)."""

    def __init__(self, answer: datetime | Exception) -> None:
        self.answer = answer
        self.limiter = AimdLimiter(1)

    async def upsert_list(self, records: Sequence[EncodedRecord]) -> list[WriteOutcome]:
        raise AssertionError("a check sends no record")

    async def server_time(self) -> datetime:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def sink(answer: datetime | Exception) -> SoapSink:
    return SoapSink(NetSuiteWriter(Clock(answer), RetryPolicy(max_attempts=1)), "2023_2")


@pytest.mark.parametrize(
    ("refusal", "advice"),
    [
        (fault_from("invalidCredentialsFault", "INVALID_LOGIN_ATTEMPT", "Invalid login attempt."), "token"),
        (fault_from("", "INVALID_WS_VERSION", "This version is not supported."), "netsuite.endpoint_version"),
        (PermanentError("getServerTime answered HTTP 404 without a SOAP fault"), "netsuite.soap_url"),
    ],
)
async def test_a_refusal_says_what_to_check_for_its_cause(refusal: PermanentError, advice: str) -> None:
    with pytest.raises(ConfigError) as raised:
        await sink(refusal).check()
    assert str(refusal).split(": ")[-1] in str(raised.value)
    assert advice in str(raised.value)


async def test_a_clock_far_from_netsuites_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        await sink(datetime.now(UTC) - timedelta(minutes=10)).check()
        await sink(datetime.now(UTC)).check()
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "600 s ahead of NetSuite's" in warning
