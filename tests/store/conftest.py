"""A fresh checkpoint per test, a run in it, and helpers to stage Salesforce rows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bulk_o2c.store import CheckpointStore, Fingerprint, open_store

Stage = Callable[..., Awaitable[None]]


Rows = list[dict[str, str]]


def _accounts(count: int, start: int = 0) -> Rows:
    return [
        {"Id": f"001{n:015d}", "Name": f"Account {n}", "SystemModstamp": "2025-03-01T10:00:00.000+0000"}
        for n in range(start, start + count)
    ]


def _orders(account_ids: list[str], start: int = 0) -> Rows:
    return [
        {"Id": f"801{n:015d}", "AccountId": account_id, "Status": "Activated"}
        for n, account_id in enumerate(account_ids, start=start)
    ]


@pytest.fixture
def accounts() -> Callable[..., Rows]:
    """``accounts(count, start=0)``: Account rows with ids 001000000000000000, 001000000000000001..."""
    return _accounts


@pytest.fixture
def orders() -> Callable[..., Rows]:
    """``orders(account_ids, start=0)``: one Order row per account id given."""
    return _orders


@pytest.fixture
def settings_fingerprint() -> Fingerprint:
    return Fingerprint("d" * 64, '{"test":true}')


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    return tmp_path / "state" / "checkpoint.sqlite"


@pytest.fixture
async def store(checkpoint: Path) -> AsyncIterator[CheckpointStore]:
    async with open_store(checkpoint) as opened:
        yield opened


@pytest.fixture
async def run_id(store: CheckpointStore, settings_fingerprint: Fingerprint) -> str:
    return (await store.runs.start(settings_fingerprint)).run_id


@pytest.fixture
def stage(store: CheckpointStore, run_id: str) -> Stage:
    """``await stage(flow, rows, parent_column=None)``: the rows as the one page of a new extraction."""

    async def stage_rows(flow: str, page: list[dict[str, str]], parent_column: str | None = None) -> None:
        await store.extraction.begin(run_id, flow, window_start=None, window_end="2025-03-02T00:00:00+00:00")
        await store.extraction.set_job(run_id, flow, f"750{flow}")
        await store.extraction.stage_page(
            run_id, flow, page, after=None, next_locator=None, parent_column=parent_column
        )

    return stage_rows
