from __future__ import annotations

import pytest

from bulk_o2c.protocol.netsuite.record_advice import CURRENCY_NOT_ALLOWED_ADVICE, advice, with_advice

CURRENCY_REFUSAL = "Invalid currency reference key 4 for entity 12."


def test_a_currency_the_customer_does_not_allow_says_what_to_do() -> None:
    assert advice("INVALID_KEY_OR_REF", CURRENCY_REFUSAL) == CURRENCY_NOT_ALLOWED_ADVICE
    assert with_advice("INVALID_KEY_OR_REF", CURRENCY_REFUSAL) == (
        f"{CURRENCY_REFUSAL} -> {CURRENCY_NOT_ALLOWED_ADVICE}"
    )
    assert "Currencies" in CURRENCY_NOT_ALLOWED_ADVICE
    assert "dlq retry" in CURRENCY_NOT_ALLOWED_ADVICE


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("INVALID_KEY_OR_REF", "Invalid currency reference key 9."),  # not the account's: a mapping fix
        ("INVALID_KEY_OR_REF", "Invalid item reference key SKU-404."),
        ("USER_ERROR", CURRENCY_REFUSAL),
    ],
)
def test_other_refusals_keep_netsuites_message_alone(code: str, message: str) -> None:
    assert advice(code, message) is None
    assert with_advice(code, message) == message
