"""The bound a run takes from NetSuite's governance figures, and the REST answer's shape."""

from __future__ import annotations

import pytest

from bulk_o2c.protocol.netsuite.faults import MalformedResponseError
from bulk_o2c.protocol.netsuite.governance import (
    Governance,
    choose_bound,
    parse_governance_limits,
    rest_error_code,
)


@pytest.mark.parametrize(
    ("governance", "bound"),
    [
        (Governance("SOAP", 15, 9, 4, "integrationSpecific"), 4),
        (Governance("SOAP", 15, 9, None, "account"), 9),
        (Governance("SOAP", 15, 9, 3, "internal"), 9),
        # An integration-specific type without the figure does not invent one.
        (Governance("SOAP", 15, 9, None, "integrationSpecific"), 9),
        (Governance("SOAP", integration_limit=4, limit_type="integrationSpecific"), 4),
        (Governance("SOAP", account_limit=15), 15),
        (Governance("SOAP", integration_limit=4, limit_type="account"), None),
        (Governance("SOAP"), None),
    ],
)
def test_the_reported_bound(governance: Governance, bound: int | None) -> None:
    assert governance.bound == bound


def test_choosing_the_bound() -> None:
    reported = Governance("REST", 20, 12, None, "account")
    assert (choose_bound(reported, None, 5).bound, choose_bound(reported, None, 5).reported) == (12, 12)
    assert choose_bound(reported, 3, 5).bound == 3
    assert choose_bound(reported, 30, 5).bound == 12
    assert choose_bound(None, 3, 5).bound == 3
    assert choose_bound(None, None, 5).bound == 5
    assert choose_bound(Governance("SOAP"), None, 5).reported is None


def test_the_bound_describes_all_three_figures() -> None:
    text = choose_bound(Governance("SOAP", 15, 9, 4, "integrationSpecific"), 3, 5).describe()
    assert text == (
        "NetSuite reported a bound of 4 over SOAP (account limit 15, unallocated 9, integration limit 4, "
        "limit type integrationSpecific); cap netsuite.concurrency: 3; using 3"
    )
    assert "did not report" in choose_bound(None, None, 5).describe()


def test_rest_governance_limits_as_oracle_documents_them() -> None:
    body = (
        b'{"accountConcurrencyLimit": 5, "accountUnallocatedConcurrencyLimit": 3, '
        b'"integrationConcurrencyLimit": 2, "integrationLimitType": "integrationSpecific"}'
    )
    assert parse_governance_limits(body) == Governance("REST", 5, 3, 2, "integrationSpecific")
    account = (
        b'{"accountConcurrencyLimit": 5, "accountUnallocatedConcurrencyLimit": 3, '
        b'"integrationLimitType": "accountLimit"}'
    )
    assert parse_governance_limits(account) == Governance("REST", 5, 3, None, "account")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"accountConcurrencyLimit": 0}',
        b'{"accountConcurrencyLimit": true}',
        b'{"accountConcurrencyLimit": 2.5}',
        b'{"integrationConcurrencyLimit": "x"}',
        # str.isdigit() is true of a superscript two, which int() refuses with a ValueError
        '{"accountConcurrencyLimit": "\u00b2"}'.encode(),
        # int() refuses a string of more than 4,300 digits with a ValueError
        b'{"accountConcurrencyLimit": "' + b"9" * 5000 + b'"}',
    ],
)
def test_rest_answers_that_are_not_limits_are_refused(body: bytes) -> None:
    with pytest.raises(MalformedResponseError):
        parse_governance_limits(body)


def test_rest_error_codes() -> None:
    body = b'{"status": 401, "o:errorDetails": [{"detail": "Invalid.", "o:errorCode": "INVALID_LOGIN"}]}'
    assert rest_error_code(body) == "INVALID_LOGIN"
    assert rest_error_code(b"<html/>") is None
    assert rest_error_code(b'{"o:errorDetails": []}') is None
