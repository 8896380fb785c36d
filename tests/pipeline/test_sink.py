"""SoapSink.check: what a run is told before it starts, by cause; DryRunSink: the payloads it writes."""

from __future__ import annotations

import logging
import stat
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bulk_o2c.commands.demo import Sandboxes
from bulk_o2c.config import Settings
from bulk_o2c.errors import ConfigError, PermanentError
from bulk_o2c.pipeline.sink import SoapSink
from bulk_o2c.protocol.netsuite.envelope import EncodedRecord
from bulk_o2c.protocol.netsuite.faults import fault_from
from bulk_o2c.protocol.netsuite.response import WriteOutcome
from bulk_o2c.transport.limiter import AimdLimiter
from bulk_o2c.transport.netsuite.writer import NetSuiteWriter
from bulk_o2c.transport.retry import RetryPolicy
from tests.support.cli import bulk_o2c, run
from tests.support.runs import write_config


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


async def test_dry_run_payloads_are_for_their_owner_only(
    boxes: Sandboxes, settings: Settings, tmp_path: Path
) -> None:
    config, env = write_config(settings, boxes, tmp_path)
    out = tmp_path / "new" / "dry"

    code, output = await run(bulk_o2c("--config", str(config), "run", "--dry-run", str(out)), env)

    assert code == 3, output  # the deliberately bad records are in the DLQ
    payloads = list((out / "payloads").glob("*.xml"))
    assert payloads
    assert {stat.S_IMODE(p.stat().st_mode) for p in payloads} == {0o600}
    for folder in (tmp_path / "new", out, out / "payloads"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
