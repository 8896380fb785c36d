"""tokenPassport verification: Oracle's test vector, and every way a passport is refused."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bulk_o2c.sandbox.netsuite import NetSuiteSandbox, SandboxCredentials
from bulk_o2c.sandbox.netsuite.passport_check import PassportVerifier
from bulk_o2c.sandbox.netsuite.soap_request import Passport

# Oracle's published SOAP example (reference netsuite-soap.md section 2.1), reproduced exactly.
ORACLE = SandboxCredentials(
    consumer_key="ef40afdd8abaac111b13825dd5e5e2ddddb44f86d5a0dd6dcf38c20aae6b67e4",
    consumer_secret="d26ad321a4b2f23b0741c8d38392ce01c3e23e109df6c96eac6d099e9ab9e8b5",
    token_id="2b0ce516420110bcbd36b69e99196d1b7f6de3c6234c5afb799b73d87569f5cc",
    token_secret="c29a677df7d5439a458c063654187e3d678d73aca8e3c9d8bea1478a3eb0d295",
)
ORACLE_TS = 1508242306


def oracle_passport(**overrides: str) -> Passport:
    values = {
        "account": "123456",
        "consumer_key": ORACLE.consumer_key,
        "token": ORACLE.token_id,
        "nonce": "fjaLirsIcCGVZWzBX0pg",
        "timestamp": str(ORACLE_TS),
        "signature": "tIcC5zyKUmycB5Ml/cNxOHDusw03Y5KPQiXVNUHHp4U=",
        "algorithm": "HMAC_SHA256",
    }
    values.update(overrides)
    return Passport(**values)


def verifier(now: float = ORACLE_TS, window: float = 300) -> PassportVerifier:
    return PassportVerifier("123456", ORACLE, lambda: now, window)


def test_oracle_test_vector_is_accepted_with_either_algorithm_spelling() -> None:
    assert verifier().verify(oracle_passport()) is None
    assert verifier().verify(oracle_passport(algorithm="HMAC-SHA256")) is None


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"signature": "tIcC5zyKUmycB5Ml/cNxOHDusw03Y5KPQiXVNUHHp4X="}, "signature"),
        ({"nonce": "fjaLirsIcCGVZWzBX0pq"}, "signature"),  # the nonce is signed
        ({"algorithm": "HMAC_SHA1"}, "algorithm"),
        ({"account": "654321"}, "account"),
        ({"consumer_key": "ff" * 32}, "unknown token"),
        ({"token": "ée"}, "unknown token"),  # non-ASCII must not crash the comparison
        ({"nonce": "abc"}, "nonce or timestamp format"),
        ({"nonce": "has-dash-1234"}, "nonce or timestamp format"),
        ({"timestamp": "15082423O6"}, "nonce or timestamp format"),
    ],
)
def test_a_wrong_passport_is_refused(override: dict[str, str], reason: str) -> None:
    assert verifier().verify(oracle_passport(**override)) == reason


def test_the_realm_suffix_must_be_upper_case() -> None:
    check = PassportVerifier("123456_SB1", ORACLE, lambda: ORACLE_TS, 300)
    assert check.verify(oracle_passport(account="123456_sb1")) == "account"


@pytest.mark.parametrize("skew", [-301, 301])
def test_a_timestamp_outside_the_window_is_refused(skew: int) -> None:
    assert verifier(now=ORACLE_TS + skew).verify(oracle_passport()) == "timestamp"


@pytest.mark.parametrize("skew", [-300, 300])
def test_a_timestamp_at_the_edge_of_the_window_is_accepted(skew: int) -> None:
    assert verifier(now=ORACLE_TS + skew).verify(oracle_passport()) is None


def test_a_nonce_is_spent_once_and_a_replay_after_the_window_fails_on_time() -> None:
    now = [float(ORACLE_TS)]
    check = PassportVerifier("123456", ORACLE, lambda: now[0], 300)
    assert check.verify(oracle_passport()) is None
    assert check.verify(oracle_passport()) == "nonce reused"
    now[0] += 301
    assert check.verify(oracle_passport()) == "timestamp"


def test_a_refused_passport_does_not_spend_its_nonce() -> None:
    check = verifier()
    assert check.verify(oracle_passport(algorithm="HMAC_SHA1")) == "algorithm"
    assert check.verify(oracle_passport()) is None


def test_the_passport_repr_shows_no_secret() -> None:
    text = repr(oracle_passport())
    assert ORACLE.consumer_key not in text
    assert ORACLE.token_id not in text
    assert "tIcC5" not in text
    assert ORACLE.consumer_secret not in repr(ORACLE)


# Over HTTP: every refusal is the same invalidCredentialsFault, and nothing is written.


async def _assert_login_refused(reply: Any, sandbox: NetSuiteSandbox) -> None:
    assert reply.status == 500
    assert reply.fault() == ("invalidCredentialsFault", "INVALID_LOGIN_ATTEMPT", "Invalid login attempt.")
    assert sandbox.records("customer") == []


async def test_a_bad_signature_is_refused_over_http(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    reply = await client.upsert(wire.customer("CUST-1"), header=client.passport(signature="AAAA"))
    await _assert_login_refused(reply, sandbox)
    assert sandbox.stats.faults_sent == {"INVALID_LOGIN_ATTEMPT": 1}


async def test_a_reused_nonce_is_refused_over_http(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    assert (
        await client.upsert(wire.customer("CUST-1"), header=client.passport(nonce="SameNonce1"))
    ).status == 200
    reply = await client.upsert(wire.customer("CUST-2"), header=client.passport(nonce="SameNonce1"))
    assert reply.status == 500
    assert reply.fault()[1] == "INVALID_LOGIN_ATTEMPT"
    assert [r.external_id for r in sandbox.records("customer")] == ["CUST-1"]


async def test_a_stale_timestamp_is_refused_over_http(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    reply = await client.upsert(wire.customer("CUST-1"), header=client.passport(timestamp=wire.NOW - 301))
    await _assert_login_refused(reply, sandbox)


async def test_a_lower_case_realm_is_refused_over_http(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    reply = await client.upsert(wire.customer("CUST-1"), header=client.passport(account="1234567_sb1"))
    await _assert_login_refused(reply, sandbox)


async def test_a_request_without_passport_is_refused(
    client: Any, sandbox: NetSuiteSandbox, wire: SimpleNamespace
) -> None:
    reply = await client.upsert(wire.customer("CUST-1"), header="")
    await _assert_login_refused(reply, sandbox)


async def test_passport_with_application_info_is_ambiguous(client: Any, wire: SimpleNamespace) -> None:
    header = client.passport() + (
        "<platformMsgs:applicationInfo><platformMsgs:applicationId>X</platformMsgs:applicationId>"
        "</platformMsgs:applicationInfo>"
    )
    reply = await client.upsert(wire.customer("CUST-1"), header=header)
    assert reply.status == 500
    assert reply.fault() == ("invalidCredentialsFault", "USER_ERROR", "Ambiguous authentication")


async def test_passport_children_are_accepted_in_any_namespace(client: Any, wire: SimpleNamespace) -> None:
    # Oracle's Java sample uses the messages namespace, some clients send them unqualified.
    in_messages = client.passport().replace("platformCore:", "platformMsgs:")
    unqualified = client.passport().replace("platformCore:", "")
    for header in (in_messages, unqualified):
        assert (await client.upsert(wire.customer("CUST-1"), header=header)).status == 200


async def test_the_demo_credentials_are_deterministic_and_not_in_repr() -> None:
    demo = SandboxCredentials.demo()
    assert demo == SandboxCredentials.demo()
    assert len({demo.consumer_key, demo.consumer_secret, demo.token_id, demo.token_secret}) == 4
    assert all(len(value) == 64 for value in (demo.consumer_key, demo.token_id))
    assert demo.token_secret not in repr(demo)
