"""A fresh checkpoint per test, a run in it, and helpers to stage Salesforce rows and load them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bulk_o2c.store import CheckpointStore, Fingerprint, RecordOutcome, Settled, open_store

Stage = Callable[..., Awaitable[None]]


Row = dict[str, str]
Rows = list[Row]


async def load(store: CheckpointStore, run_id: str, flow: str, outcomes: dict[str, str | None]) -> Settled:
    """Send the given records in one chunk: an internal id means loaded, None means refused."""
    chunk = await store.chunks.create(run_id, flow, list(outcomes), in_flight=True)
    return await store.chunks.complete(
        chunk.chunk_id,
        [
            RecordOutcome(sf_id, "X_" + sf_id, "loaded", internal_id=internal_id)
            if internal_id
            else RecordOutcome(sf_id, "X_" + sf_id, "failed", code="INVALID_FLD_VALUE", message="bad country")
            for sf_id, internal_id in outcomes.items()
        ],
    )


async def vm_steps(store: CheckpointStore, work: Awaitable[object]) -> int:
    """SQLite virtual-machine steps the store's connection runs for ``work``, counted by its progress
    handler: a measure of how much a query reads that, unlike time, does not depend on the machine."""
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0

    connection = store._database._connection
    await connection.set_progress_handler(step, 1)
    try:
        await work
    finally:
        # sqlite3 removes the handler on None; aiosqlite's annotation leaves that out.
        await connection.set_progress_handler(None, 1)  # type: ignore[arg-type]
    return steps


def as_page(rows: Rows) -> tuple[list[str], list[list[str]]]:
    """Dict rows as a results page: the first row's columns, and each row's values in that order."""
    header = list(rows[0]) if rows else ["Id"]
    return header, [[row[column] for column in header] for row in rows]


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
    """``await stage(flow, rows, parent_column=None, run=None)``: the rows as the one page of a new
    extraction, in the test's run unless ``run`` names another."""

    async def stage_rows(
        flow: str, page: Rows, parent_column: str | None = None, run: str | None = None
    ) -> None:
        into = run_id if run is None else run
        await store.extraction.begin(into, flow, window_start=None, window_end="2025-03-02T00:00:00+00:00")
        await store.extraction.set_job(into, flow, f"750{flow}")
        await store.extraction.stage_page(
            into, flow, *as_page(page), after=None, next_locator=None, parent_column=parent_column
        )

    return stage_rows


@pytest.fixture
async def waiting_order(
    store: CheckpointStore, run_id: str, stage: Stage
) -> tuple[dict[str, str], dict[str, str]]:
    """(account, order): both staged, the order held until its account loads."""
    (account,) = _accounts(1)
    (order,) = _orders([account["Id"]])
    await stage("Account", [account])
    await stage("Order", [order], parent_column="AccountId")
    await store.staging.hold_for_parents(run_id, "Order", "Account", {order["Id"]: account["Id"]})
    return account, order
