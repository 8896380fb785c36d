"""match_outcomes: outcomes paired with the records sent by type and externalId, never by position."""

from __future__ import annotations

import pytest

from bulk_o2c.errors import ResponseMismatchError, TransientError
from bulk_o2c.protocol.netsuite.matching import SentKey, match_outcomes
from bulk_o2c.protocol.netsuite.outcomes import StatusDetail, WriteOutcome

SENT: list[SentKey] = [("customer", "C-1"), ("customer", "C-2"), ("salesOrder", "C-1")]
AFTER_SUBMIT_FAILED = StatusDetail("USER_ERROR", "script failed", "ERROR", True)


def saved(record_type: str | None, external_id: str | None, internal_id: str | None = "7") -> WriteOutcome:
    return WriteOutcome(True, internal_id, external_id, record_type, ())


def refused(record_type: str | None = None, external_id: str | None = None) -> WriteOutcome:
    return WriteOutcome(False, None, external_id, record_type, (StatusDetail("X", "no", "ERROR", False),))


def test_outcomes_in_the_order_sent_are_kept() -> None:
    outcomes = [saved("customer", "C-1", "1"), refused("customer", "C-2"), saved("salesOrder", "C-1", "3")]
    assert match_outcomes(outcomes, SENT) == outcomes


def test_a_reordered_answer_is_put_back_in_the_order_sent() -> None:
    # The same externalId under two record types: the type tells them apart.
    first, second, third = (
        saved("customer", "C-1", "1"),
        refused("customer", "C-2"),
        saved("salesOrder", "C-1", "3"),
    )
    assert match_outcomes([third, first, second], SENT) == [first, second, third]


def test_keys_are_compared_without_regard_to_case() -> None:
    outcome = saved("Customer", "c-1")
    assert match_outcomes([outcome], [("customer", "C-1")]) == [outcome]


def test_a_key_sent_twice_takes_its_outcomes_in_order() -> None:
    first, second = saved("customer", "C-1", "1"), saved("customer", "C-1", "2")
    assert match_outcomes([first, second], [("customer", "C-1")] * 2) == [first, second]


def test_a_failure_without_a_key_keeps_its_place_when_no_other_outcome_claims_it() -> None:
    keyless = refused()
    outcomes = [saved("customer", "C-1"), keyless, saved("salesOrder", "C-1")]
    assert match_outcomes(outcomes, SENT) == outcomes


@pytest.mark.parametrize(
    ("outcomes", "problem"),
    [
        ([saved("customer", "C-1"), saved("customer", "C-2")], "2 outcomes for 3 records"),
        ([*(refused("customer", "C-2") for _ in range(3))], "more often than it was sent"),
        ([saved("customer", "C-1"), saved("customer", "C-9"), saved("salesOrder", "C-1")], "not sent"),
        # An externalId with the wrong type, or with none, names no record that was sent.
        ([saved("customer", "C-1"), saved("salesOrder", "C-2"), saved("salesOrder", "C-1")], "not sent"),
        ([saved("customer", "C-1"), saved("customer", "C-2"), refused(None, "C-1")], "not sent"),
        (
            [saved("customer", "C-1"), saved("customer", "C-2", None), saved("salesOrder", "C-1")],
            "internalId",
        ),
        ([saved("customer", "C-1"), saved("customer", "C-2", ""), saved("salesOrder", "C-1")], "internalId"),
        ([saved("customer", "C-1"), saved(None, None), saved("salesOrder", "C-1")], "externalId"),
        # Saved by an afterSubmit failure: as much a saved record as any, so it needs its ids too.
        (
            [
                saved("customer", "C-1"),
                WriteOutcome(False, None, "C-2", "customer", (AFTER_SUBMIT_FAILED,)),
                saved("salesOrder", "C-1"),
            ],
            "internalId",
        ),
        # The keyless failure sits where the keyed answer for C-1 (customer) should have been.
        ([refused(), saved("customer", "C-1"), saved("salesOrder", "C-1")], "answered by another"),
    ],
    ids=[
        "count",
        "duplicate",
        "foreign",
        "wrong-type",
        "no-type",
        "no-internal-id",
        "empty-internal-id",
        "saved-without-key",
        "after-submit-without-internal-id",
        "keyless-failure-out-of-place",
    ],
)
def test_an_answer_that_does_not_pair_off_is_refused_whole(
    outcomes: list[WriteOutcome], problem: str
) -> None:
    with pytest.raises(ResponseMismatchError, match=problem) as raised:
        match_outcomes(outcomes, SENT)
    # Transient: the request is sent again rather than its records failed.
    assert isinstance(raised.value, TransientError)


def test_messages_carry_no_value_from_the_wire() -> None:
    with pytest.raises(ResponseMismatchError) as raised:
        match_outcomes([saved("customer", "SECRET-LOOKING-ID")], [("customer", "C-1")])
    assert "SECRET-LOOKING-ID" not in str(raised.value)
    assert "writeResponse 1 of 1" in str(raised.value)
