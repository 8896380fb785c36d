from collections import Counter
from datetime import UTC, datetime

import pytest

from bulk_o2c.sandbox.salesforce.dataset import (
    DATA_OWNER_ID,
    LINE_AGE_S,
    BadReason,
    Dataset,
    DatasetSpec,
)
from bulk_o2c.sandbox.salesforce.ids import checksum_suffix

SPEC = DatasetSpec(seed=11, n_accounts=2_000, n_orders=1_500, lines_per_order=(1, 6), bad_share=0.03)
VALID_COUNTRIES = {"US", "DE", "GB", "FR", "JP", "CA", "AU"}


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return Dataset(SPEC)


def accounts(dataset: Dataset) -> list[dict[str, str | None]]:
    return [dataset.account(i) for i in range(SPEC.n_accounts)]


def test_same_seed_gives_the_same_rows_and_another_seed_does_not(dataset: Dataset) -> None:
    again = Dataset(SPEC)
    other = Dataset(DatasetSpec(seed=12, n_accounts=2_000, n_orders=1_500, lines_per_order=(1, 6)))
    for i in (0, 1, 999, 1_999):
        assert again.account(i) == dataset.account(i)
        assert again.order(i) == dataset.order(i)
    assert [other.account(i)["Name"] for i in range(50)] != [dataset.account(i)["Name"] for i in range(50)]


def test_a_row_is_generated_alone_without_the_rows_before_it() -> None:
    huge = Dataset(DatasetSpec(seed=3, n_accounts=1_000_000, n_orders=2_000_000))
    last = huge.account(999_999)
    assert last["Id"] is not None
    assert last["Id"] == huge.record_id("Account", 999_999)
    assert huge.slot_of("Account", last["Id"]) == 999_999
    # Same value whether reached directly or after other rows: no hidden generator state.
    for i in range(5):
        huge.account(i)
    assert huge.account(999_999) == last
    assert huge.slot_count("Account") == 1_000_000


def test_ids_are_18_characters_with_a_valid_checksum_and_the_right_prefix(dataset: Dataset) -> None:
    for sobject, prefix, slot in (("Account", "001", 5), ("Order", "801", 7), ("Product2", "01t", 3)):
        record_id = dataset.row(sobject, slot)["Id"]
        assert record_id is not None
        assert len(record_id) == 18
        assert record_id.startswith(prefix)
        assert record_id[15:] == checksum_suffix(record_id[:15])
        assert dataset.slot_of(sobject, record_id) == slot


def test_accounts_carry_the_hazards_a_client_must_survive(dataset: Dataset) -> None:
    names = [row["Name"] or "" for row in accounts(dataset)]
    assert any(len(name) > 83 for name in names)
    assert any("Müller & Söhne" in name for name in names)
    assert any("株式会社" in name for name in names)
    assert any("<" in name and "&" in name and '"' in name for name in names)
    assert any("\x00" in name for name in names)
    streets = Counter((row["BillingStreet"] or "").count("\n") + 1 for row in accounts(dataset))
    assert set(streets) == {1, 2, 3}
    assert any(row["Website"] is None for row in accounts(dataset))


def test_exactly_the_bad_share_of_accounts_has_a_bad_country(dataset: Dataset) -> None:
    rows = accounts(dataset)
    bad = {row["Id"] for row in rows if row["BillingCountryCode"] not in VALID_COUNTRIES}
    assert len(bad) == round(SPEC.bad_share * SPEC.n_accounts) == dataset.n_bad_accounts
    codes = Counter(row["BillingCountryCode"] for row in rows if row["Id"] in bad)
    assert set(codes) == {"XX", None}
    expected = {r.record_id for r in dataset.expected_bad() if r.reason is BadReason.INVALID_COUNTRY}
    assert expected == bad
    for slot, row in enumerate(rows):
        assert (dataset.bad_reason("Account", slot) is BadReason.INVALID_COUNTRY) == (row["Id"] in bad)


def test_bad_orders_and_only_they_reference_bad_accounts(dataset: Dataset) -> None:
    bad_accounts = {r.record_id for r in dataset.expected_bad() if r.reason is BadReason.INVALID_COUNTRY}
    expected = {r.record_id: r.parent_id for r in dataset.expected_bad() if r.reason is BadReason.BAD_ACCOUNT}
    assert len(expected) == round(SPEC.bad_share * SPEC.n_orders)
    for slot in range(SPEC.n_orders):
        order = dataset.order(slot)
        assert (order["AccountId"] in bad_accounts) == (order["Id"] in expected)
        if order["Id"] in expected:
            assert expected[order["Id"]] == order["AccountId"]


def test_negative_quantities_are_exactly_the_listed_bad_lines(dataset: Dataset) -> None:
    expected = {
        r.record_id: r.parent_id for r in dataset.expected_bad() if r.reason is BadReason.NEGATIVE_QUANTITY
    }
    seen: dict[str, str | None] = {}
    total = 0
    for order in range(SPEC.n_orders):
        for line in range(dataset.lines_of(order)):
            row = dataset.order_item(order * dataset.max_lines + line)
            total += 1
            if float(row["Quantity"] or 0) < 0:
                seen[row["Id"] or ""] = row["OrderId"]
    assert seen == expected
    assert 0 < len(expected) < total
    assert total == dataset.count("OrderItem")


def test_order_lines_are_sparse_slots_and_total_amount_is_their_sum(dataset: Dataset) -> None:
    order = 17
    lines = [dataset.order_item(order * dataset.max_lines + k) for k in range(dataset.lines_of(order))]
    assert SPEC.lines_per_order[0] <= len(lines) <= SPEC.lines_per_order[1]
    order_row = dataset.order(order)
    assert {line["OrderId"] for line in lines} == {order_row["Id"]}
    total = sum(float(line["Quantity"] or 0) * float(line["UnitPrice"] or 0) for line in lines)
    assert float(order_row["TotalAmount"] or 0) == pytest.approx(total, abs=0.005)
    missing_slot = order * dataset.max_lines + dataset.lines_of(order)
    if dataset.lines_of(order) < dataset.max_lines:
        assert not dataset.has_slot("OrderItem", missing_slot)


def test_modstamps_fall_inside_the_configured_range(dataset: Dataset) -> None:
    start = SPEC.modstamp_start.timestamp() * 1000
    end = SPEC.modstamp_end.timestamp() * 1000
    stamps = [dataset.modstamp_ms("Account", i) for i in range(SPEC.n_accounts)]
    assert all(start <= s < end for s in stamps)
    assert len(set(stamps)) > SPEC.n_accounts * 0.9
    row = dataset.account(0)
    parsed = datetime.strptime(row["SystemModstamp"] or "", "%Y-%m-%dT%H:%M:%S.%f%z")
    assert parsed == datetime.fromtimestamp(stamps[0] / 1000, UTC)
    assert row["LastModifiedById"] == DATA_OWNER_ID
    assert row["NetSuite_Customer_ID__c"] is None


def test_an_order_line_is_never_modified_after_its_order(dataset: Dataset) -> None:
    start = SPEC.modstamp_start.timestamp() * 1000
    earlier = 0
    for order in range(SPEC.n_orders):
        order_row = dataset.order(order)
        order_ms = dataset.modstamp_ms("Order", order)
        for line in range(dataset.lines_of(order)):
            slot = order * dataset.max_lines + line
            line_ms = dataset.modstamp_ms("OrderItem", slot)
            assert start <= line_ms <= order_ms
            assert order_ms - line_ms < LINE_AGE_S * 1000
            item = dataset.order_item(slot)
            assert item["SystemModstamp"] is not None
            assert item["SystemModstamp"] <= (order_row["SystemModstamp"] or "")
            earlier += line_ms < order_ms
    assert earlier > dataset.count("OrderItem") * 0.9


def test_parent_slots_agree_with_the_generated_foreign_keys(dataset: Dataset) -> None:
    for order in range(SPEC.n_orders):
        account_id = dataset.order(order)["AccountId"] or ""
        assert dataset.parent_slot("Order", order, "Account") == dataset.slot_of("Account", account_id)
        for line in range(dataset.lines_of(order)):
            slot = order * dataset.max_lines + line
            item = dataset.order_item(slot)
            assert dataset.parent_slot("OrderItem", slot, "Order") == order
            assert dataset.parent_slot("OrderItem", slot, "Product2") == dataset.slot_of(
                "Product2", item["Product2Id"] or ""
            )
    with pytest.raises(KeyError):
        dataset.parent_slot("Account", 0, "Order")


def test_no_bad_orders_when_no_account_is_bad() -> None:
    clean = Dataset(DatasetSpec(n_accounts=10, n_orders=40, bad_share=0.0))
    assert clean.n_bad_accounts == clean.n_bad_orders == 0
    assert not list(clean.expected_bad())


@pytest.mark.parametrize(
    "settings",
    [{"lines_per_order": (3, 2)}, {"bad_share": 1.5}, {"n_accounts": 0, "n_orders": 5}, {"n_products": 0}],
)
def test_impossible_specs_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        DatasetSpec(**settings)  # type: ignore[arg-type]
