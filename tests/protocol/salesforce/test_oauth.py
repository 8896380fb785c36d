from __future__ import annotations

from urllib.parse import parse_qs

import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bulk_o2c.errors import AuthError, TransientError
from bulk_o2c.protocol.salesforce.errors import SalesforceProtocolError
from bulk_o2c.protocol.salesforce.oauth import (
    JWT_BEARER_GRANT,
    client_credentials_form,
    introspect_form,
    jwt_assertion,
    jwt_audience,
    jwt_bearer_form,
    parse_introspection_expiry,
    parse_token_response,
    refresh_token_form,
)


@pytest.fixture(scope="module")
def key_pair() -> tuple[str, rsa.RSAPublicKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, key.public_key()


def test_assertion_claims_and_signature(key_pair: tuple[str, rsa.RSAPublicKey]) -> None:
    pem, public = key_pair
    now = 1_700_000_000.0
    token = jwt_assertion(
        client_id="3MVG9",
        username="int@example.com",
        audience="https://test.salesforce.com",
        private_key_pem=pem,
        now=now,
    )
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = jwt.decode(
        token,
        public,
        algorithms=["RS256"],
        audience="https://test.salesforce.com",
        options={"verify_exp": False},
    )
    assert claims == {
        "iss": "3MVG9",
        "sub": "int@example.com",
        "aud": "https://test.salesforce.com",
        "exp": 1_700_000_180,
    }


def test_assertion_lifetime_is_capped(key_pair: tuple[str, rsa.RSAPublicKey]) -> None:
    with pytest.raises(ValueError, match="at most"):
        jwt_assertion(
            client_id="a", username="b", audience="c", private_key_pem=key_pair[0], now=0, lifetime_s=300
        )


def test_bad_key_does_not_echo_the_key() -> None:
    secret = "-----BEGIN PRIVATE KEY-----\nnot-a-key-SECRETMATERIAL\n-----END PRIVATE KEY-----"
    with pytest.raises(AuthError) as info:
        jwt_assertion(client_id="a", username="b", audience="c", private_key_pem=secret, now=0)
    assert "SECRETMATERIAL" not in str(info.value)
    assert info.value.__cause__ is None


@pytest.mark.parametrize(
    ("login", "aud"),
    [
        ("https://login.salesforce.com", "https://login.salesforce.com"),
        ("https://test.salesforce.com/", "https://test.salesforce.com"),
        ("https://acme.my.salesforce.com", "https://login.salesforce.com"),
        ("https://acme--uat.sandbox.my.salesforce.com", "https://test.salesforce.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_audience(login: str, aud: str) -> None:
    assert jwt_audience(login) == aud


def test_forms() -> None:
    assert parse_qs(jwt_bearer_form("abc").decode()) == {
        "grant_type": [JWT_BEARER_GRANT],
        "assertion": ["abc"],
    }
    assert parse_qs(client_credentials_form("id", "s&c=t").decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": ["id"],
        "client_secret": ["s&c=t"],
    }
    assert parse_qs(refresh_token_form("id", "rt").decode()) == {
        "grant_type": ["refresh_token"],
        "client_id": ["id"],
        "refresh_token": ["rt"],
    }
    assert parse_qs(refresh_token_form("id", "rt", "sec").decode())["client_secret"] == ["sec"]
    assert parse_qs(introspect_form("tok", "id", "sec").decode()) == {
        "token": ["tok"],
        "token_type_hint": ["access_token"],
        "client_id": ["id"],
        "client_secret": ["sec"],
    }


def test_jwt_token_response_without_expiry() -> None:
    body = (
        b'{"access_token":"00D!AQ","scope":"api","instance_url":"https://acme.my.salesforce.com/",'
        b'"id":"https://login.salesforce.com/id/00D/005","token_type":"Bearer","issued_at":"1700000000123"}'
    )
    answer = parse_token_response(200, body)
    assert answer.access_token == "00D!AQ"
    assert answer.instance_url == "https://acme.my.salesforce.com"
    assert answer.refresh_token is None
    assert answer.expires_in is None
    assert answer.issued_at == pytest.approx(1_700_000_000.123)
    assert "00D!AQ" not in repr(answer)


def test_refresh_response_with_rotation_and_expiry() -> None:
    answer = parse_token_response(
        200, b'{"access_token":"a","instance_url":"https://x","refresh_token":"new-rt","expires_in":3600}'
    )
    assert answer.refresh_token == "new-rt"
    assert answer.expires_in == 3600
    assert "new-rt" not in repr(answer)


def test_token_refusal() -> None:
    with pytest.raises(AuthError, match="invalid_grant"):
        parse_token_response(
            400, b'{"error":"invalid_grant","error_description":"expired access/refresh token"}'
        )
    with pytest.raises(TransientError):
        parse_token_response(503, b"busy")
    with pytest.raises(SalesforceProtocolError, match="no access_token"):
        parse_token_response(200, b'{"instance_url":"https://x"}')


def test_introspection() -> None:
    assert (
        parse_introspection_expiry(200, b'{"active":true,"exp":1700007200,"iat":1700000000}') == 1_700_007_200
    )
    assert parse_introspection_expiry(200, b'{"active":false}') is None
    assert parse_introspection_expiry(200, b'{"active":true}') is None


@pytest.mark.parametrize("instance_url", ["http://acme.my.salesforce.com", "ftp://acme.my.salesforce.com"])
def test_an_instance_url_the_token_would_travel_to_in_clear_is_refused(instance_url: str) -> None:
    body = orjson.dumps({"access_token": "00D!AQ", "instance_url": instance_url})
    with pytest.raises(AuthError, match="only over https") as info:
        parse_token_response(200, body)
    assert "00D!AQ" not in str(info.value)


def test_an_instance_url_on_loopback_may_be_plain_http() -> None:
    answer = parse_token_response(200, b'{"access_token":"a","instance_url":"http://127.0.0.1:8080/"}')
    assert answer.instance_url == "http://127.0.0.1:8080"
