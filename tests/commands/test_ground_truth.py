"""The demo's check: each way a run's outcome can differ from the ground truth is named."""

from __future__ import annotations

from bulk_o2c.commands.ground_truth import ExpectedOutcome, differences

WANT = ExpectedOutcome(
    customers=frozenset({"C1", "C2", "C3"}),
    sales_orders=frozenset({"S1"}),
    dlq={("Account", "001A"): "MAPPING_UNKNOWN_COUNTRY", ("Order", "801A"): "PARENT_FAILED"},
)


def test_the_ground_truth_itself_differs_in_nothing() -> None:
    assert differences(WANT, ["C3", "C1", "C2"], ["S1"], dict(WANT.dlq)) == []


def test_every_difference_is_named_with_its_records() -> None:
    found = differences(
        WANT,
        ["C1", "C1", "C2", "C9"],
        [],
        {("Account", "001A"): "MAPPING_MISSING_FIELD", ("Account", "001Z"): "X"},
    )

    assert found == [
        "1 customers missing from NetSuite: C3",
        "1 customers in NetSuite that should not be: C9",
        "1 customers in NetSuite more than once: C1",
        "1 sales orders missing from NetSuite: S1",
        "1 bad records missing from the DLQ: Order 801A",
        "1 records in the DLQ that are not bad: Account 001Z",
        "1 DLQ entries with another code: "
        "Account 001A MAPPING_MISSING_FIELD (expected MAPPING_UNKNOWN_COUNTRY)",
    ]


def test_long_lists_show_a_few_and_count_the_rest() -> None:
    want = ExpectedOutcome(frozenset(f"C{i}" for i in range(10)), frozenset(), {})
    assert differences(want, [], [], {}) == ["10 customers missing from NetSuite: C0, C1, C2 and 7 more"]
