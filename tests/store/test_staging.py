from __future__ import annotations

from collections.abc import Callable

from bulk_o2c.store import (
    PARENT_FAILED,
    CheckpointStore,
    Failure,
    Fingerprint,
    Readiness,
)
from tests.store.conftest import Rows, Stage, as_page, load, vm_steps


async def test_ready_pages_through_staged_records_in_order(
    store: CheckpointStore, run_id: str, stage: Stage, accounts: Callable[..., Rows]
) -> None:
    await stage("Account", accounts(7))
    seen: list[str] = []
    after = -1
    while page := await store.staging.ready(run_id, "Account", after_seq=after, limit=3):
        seen += [r.sf_id for r in page]
        after = page[-1].seq
    assert seen == [row["Id"] for row in accounts(7)]


async def test_records_come_back_in_the_order_asked(
    store: CheckpointStore, run_id: str, stage: Stage, accounts: Callable[..., Rows]
) -> None:
    rows = accounts(3)
    await stage("Account", rows)
    wanted = [rows[2]["Id"], rows[0]["Id"]]
    assert [r.row for r in await store.staging.records(run_id, "Account", wanted)] == [rows[2], rows[0]]


async def test_children_keep_their_staging_order_per_parent(
    store: CheckpointStore, run_id: str, stage: Stage
) -> None:
    items = [
        {"Id": f"802{n:015d}", "OrderId": order, "Product2.ProductCode": code}
        for n, (order, code) in enumerate([("o1", "C"), ("o2", "X"), ("o1", "A"), ("o1", "B"), ("o2", "Y")])
    ]
    await stage("OrderItem", items, parent_column="OrderId")
    lines = await store.staging.children(run_id, "OrderItem", ["o1", "o2", "o3"])
    assert {order: [row["Product2.ProductCode"] for row in rows] for order, rows in lines.items()} == {
        "o1": ["C", "A", "B"],
        "o2": ["X", "Y"],
        "o3": [],
    }


async def test_an_order_whose_customer_is_still_to_load_waits_and_is_released_when_it_loads(
    store: CheckpointStore,
    run_id: str,
    stage: Stage,
    accounts: Callable[..., Rows],
    orders: Callable[..., Rows],
) -> None:
    account_ids = [row["Id"] for row in accounts(2)]
    await stage("Account", accounts(2))
    order_rows = orders([account_ids[0], account_ids[0], account_ids[1]])
    await stage("Order", order_rows, parent_column="AccountId")
    verdicts = await store.staging.hold_for_parents(
        run_id, "Order", "Account", {row["Id"]: row["AccountId"] for row in order_rows}
    )
    assert set(verdicts.values()) == {Readiness.WAITING}
    assert await store.staging.ready(run_id, "Order") == []
    assert await store.staging.waiting(run_id, "Order") == [
        (row["Id"], row["AccountId"]) for row in order_rows
    ]

    settled = await load(store, run_id, "Account", {account_ids[0]: "501"})
    assert settled.released == (order_rows[0]["Id"], order_rows[1]["Id"])
    assert [r.sf_id for r in await store.staging.ready(run_id, "Order")] == [
        order_rows[0]["Id"],
        order_rows[1]["Id"],
    ]
    assert await store.staging.waiting(run_id, "Order") == [(order_rows[2]["Id"], account_ids[1])]


async def test_an_order_whose_customer_failed_is_parked_with_the_customers_reason(
    store: CheckpointStore,
    run_id: str,
    stage: Stage,
    accounts: Callable[..., Rows],
    orders: Callable[..., Rows],
) -> None:
    (account,) = accounts(1)
    await stage("Account", [account])
    waiting, late = orders([account["Id"], account["Id"]])
    await stage("Order", [waiting, late], parent_column="AccountId")
    await store.staging.hold_for_parents(run_id, "Order", "Account", {waiting["Id"]: account["Id"]})

    settled = await load(store, run_id, "Account", {account["Id"]: None})
    assert settled.parked == (waiting["Id"],)
    # An order looked at after its customer failed is parked straight away, never sent.
    verdicts = await store.staging.hold_for_parents(run_id, "Order", "Account", {late["Id"]: account["Id"]})
    assert verdicts == {late["Id"]: Readiness.PARKED}

    letters = {letter.sf_id: letter for letter in await store.dlq.entries(run_id)}
    for order_id in (waiting["Id"], late["Id"]):
        letter = letters[order_id]
        assert (letter.flow, letter.stage, letter.code) == ("Order", "dependency", PARENT_FAILED)
        assert letter.message == f"Account {account['Id']} failed: INVALID_FLD_VALUE: bad country"
    assert await store.staging.counts(run_id) == {"Account": {"failed": 1}, "Order": {"parked": 2}}


async def test_a_customer_that_fails_mapping_parks_its_waiting_orders(
    store: CheckpointStore, run_id: str, waiting_order: tuple[dict[str, str], dict[str, str]]
) -> None:
    account, order = waiting_order
    parked = await store.dlq.add(
        run_id,
        "Account",
        "map",
        [Failure(account["Id"], "MAPPING_UNKNOWN_COUNTRY", "BillingCountryCode 'XX'")],
    )
    assert parked == (order["Id"],)
    assert await store.staging.counts(run_id) == {"Account": {"failed": 1}, "Order": {"parked": 1}}


async def test_a_customer_loaded_by_an_earlier_run_is_ready(
    store: CheckpointStore,
    run_id: str,
    stage: Stage,
    accounts: Callable[..., Rows],
    orders: Callable[..., Rows],
    settings_fingerprint: Fingerprint,
) -> None:
    (account,) = accounts(1)
    await stage("Account", [account])
    await load(store, run_id, "Account", {account["Id"]: "501"})
    later = (await store.runs.start(settings_fingerprint)).run_id
    order, orphan = orders([account["Id"], "001999999999999999"])
    await stage("Order", [order, orphan], parent_column="AccountId", run=later)
    verdicts = await store.staging.hold_for_parents(
        later, "Order", "Account", {order["Id"]: account["Id"], orphan["Id"]: orphan["AccountId"]}
    )
    assert verdicts == {order["Id"]: Readiness.READY, orphan["Id"]: Readiness.UNKNOWN}
    assert len(await store.staging.ready(later, "Order")) == 2  # the caller decides what to do with both


async def test_unchanged_records_are_skipped(
    store: CheckpointStore, run_id: str, stage: Stage, accounts: Callable[..., Rows]
) -> None:
    rows = accounts(3)
    await stage("Account", rows)
    await store.staging.skip(run_id, "Account", [rows[0]["Id"], rows[2]["Id"]])
    assert [r.sf_id for r in await store.staging.ready(run_id, "Account")] == [rows[1]["Id"]]
    assert await store.staging.counts(run_id) == {"Account": {"skipped": 2, "staged": 1}}


def _items(orders: range, lines: int) -> Rows:
    return [
        {"Id": f"802{order:09d}{line:06d}", "OrderId": f"801{order:015d}", "Quantity": "1"}
        for order in orders
        for line in range(lines)
    ]


async def test_reading_an_orders_lines_does_not_walk_the_other_staged_lines(
    store: CheckpointStore, run_id: str
) -> None:
    # A walk over the flow's staged lines would grow with them; a search of the parent index does not.
    async def read(order_ids: list[str]) -> None:
        lines = await store.staging.children(run_id, "OrderItem", order_ids)
        assert [len(lines[o]) for o in order_ids] == [2] * len(order_ids)
        await store.staging.waiting(run_id, "OrderItem")

    await store.extraction.begin(run_id, "OrderItem", window_start=None, window_end="2025-03-02T00:00:00Z")
    await store.extraction.set_job(run_id, "OrderItem", "750I")
    await store.extraction.stage_page(
        run_id,
        "OrderItem",
        *as_page(_items(range(5), 2)),
        after=None,
        next_locator="L1",
        parent_column="OrderId",
    )
    asked = [f"801{order:015d}" for order in (1, 3)]
    first = await vm_steps(store, read(asked))
    await store.extraction.stage_page(
        run_id,
        "OrderItem",
        *as_page(_items(range(5, 1_005), 2)),
        after="L1",
        next_locator=None,
        parent_column="OrderId",
    )
    last = await vm_steps(store, read(asked))
    assert last < first * 1.5
