"""The tokenPassport signer: Oracle's published vector, fresh nonces, hidden secrets."""

from __future__ import annotations

import re

from bulk_o2c.protocol.netsuite.passport import PassportSigner, TbaCredentials, sign_passport

# Oracle's SOAP TBA example (reference netsuite-soap.md section 2.1), the one that reproduces.
ACCOUNT = "123456"
CONSUMER_KEY = "ef40afdd8abaac111b13825dd5e5e2ddddb44f86d5a0dd6dcf38c20aae6b67e4"
CONSUMER_SECRET = "d26ad321a4b2f23b0741c8d38392ce01c3e23e109df6c96eac6d099e9ab9e8b5"
TOKEN_ID = "2b0ce516420110bcbd36b69e99196d1b7f6de3c6234c5afb799b73d87569f5cc"
TOKEN_SECRET = "c29a677df7d5439a458c063654187e3d678d73aca8e3c9d8bea1478a3eb0d295"
NONCE = "fjaLirsIcCGVZWzBX0pg"
TIMESTAMP = 1508242306
EXPECTED_SIGNATURE = "tIcC5zyKUmycB5Ml/cNxOHDusw03Y5KPQiXVNUHHp4U="

CREDENTIALS = TbaCredentials(ACCOUNT, CONSUMER_KEY, CONSUMER_SECRET, TOKEN_ID, TOKEN_SECRET)


def test_oracle_vector_reproduces() -> None:
    passport = sign_passport(ACCOUNT, CONSUMER_KEY, CONSUMER_SECRET, TOKEN_ID, TOKEN_SECRET, NONCE, TIMESTAMP)
    assert passport.signature == EXPECTED_SIGNATURE
    assert passport.algorithm == "HMAC_SHA256"
    assert (passport.account, passport.consumer_key, passport.token) == (ACCOUNT, CONSUMER_KEY, TOKEN_ID)
    assert (passport.nonce, passport.timestamp) == (NONCE, TIMESTAMP)


def test_signer_uses_its_clock_and_nonce_source() -> None:
    signer = PassportSigner(CREDENTIALS, clock=lambda: TIMESTAMP + 0.9, nonce=lambda: NONCE)
    assert signer.sign().signature == EXPECTED_SIGNATURE


def test_signer_signs_the_realm_form_of_a_sandbox_account() -> None:
    credentials = TbaCredentials("1234567_sb1", CONSUMER_KEY, CONSUMER_SECRET, TOKEN_ID, TOKEN_SECRET)
    passport = PassportSigner(credentials, clock=lambda: TIMESTAMP, nonce=lambda: NONCE).sign()
    expected = sign_passport(
        "1234567_SB1", CONSUMER_KEY, CONSUMER_SECRET, TOKEN_ID, TOKEN_SECRET, NONCE, TIMESTAMP
    )
    assert passport.account == "1234567_SB1"
    assert passport.signature == expected.signature


def test_every_signature_depends_on_every_input() -> None:
    values = (ACCOUNT, CONSUMER_KEY, CONSUMER_SECRET, TOKEN_ID, TOKEN_SECRET, NONCE)

    def signature(v: tuple[str, ...], timestamp: int = TIMESTAMP) -> str:
        return sign_passport(v[0], v[1], v[2], v[3], v[4], v[5], timestamp).signature

    signatures = {signature(values), signature(values, TIMESTAMP + 1)}
    for i in range(len(values)):
        signatures.add(signature((*values[:i], values[i] + "x", *values[i + 1 :])))
    assert len(signatures) == len(values) + 2


def test_nonces_are_fresh_alphanumeric_and_never_repeat() -> None:
    signer = PassportSigner(CREDENTIALS, clock=lambda: TIMESTAMP)
    nonces = [signer.sign().nonce for _ in range(10_000)]
    assert len(set(nonces)) == len(nonces)
    assert all(re.fullmatch(r"[A-Za-z0-9]{6,64}", n) for n in nonces)


def test_timestamp_is_read_on_every_sign() -> None:
    now = [1_700_000_000.0]
    signer = PassportSigner(CREDENTIALS, clock=lambda: now[0])
    first = signer.sign()
    now[0] += 5
    second = signer.sign()
    assert (first.timestamp, second.timestamp) == (1_700_000_000, 1_700_000_005)
    assert first.signature != second.signature


def test_secrets_never_reach_a_repr() -> None:
    signer = PassportSigner(CREDENTIALS, clock=lambda: TIMESTAMP, nonce=lambda: NONCE)
    shown = repr(signer) + repr(CREDENTIALS) + repr(signer.sign()) + str(signer.sign())
    for secret in (CONSUMER_KEY, CONSUMER_SECRET, TOKEN_ID, TOKEN_SECRET, EXPECTED_SIGNATURE):
        assert secret not in shown
    assert ACCOUNT in shown
