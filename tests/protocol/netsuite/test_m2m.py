"""OAuth 2.0 client credentials: the signed assertion, the form, the answer and its refusals."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from bulk_o2c.errors import AuthError, TransientError
from bulk_o2c.protocol.netsuite.m2m import (
    CLIENT_ASSERTION_TYPE,
    M2MAlgorithm,
    M2MCredentials,
    build_client_assertion,
    parse_token_response,
    token_request_body,
    token_url,
)

TOKEN_URL = token_url("https://1234567-sb1.suitetalk.api.netsuite.com/services/rest")
NOW = 1_700_000_000


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    # Generated per run: no private key is ever committed. 2048 bits keeps the test fast; the
    # JWT code path is the same for NetSuite's required 3072/4096.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _credentials(pem: str, algorithm: M2MAlgorithm) -> M2MCredentials:
    return M2MCredentials(
        client_id="client-123",
        certificate_id="cert-abc",
        private_key_pem=pem,
        token_url=TOKEN_URL,
        algorithm=algorithm,
        scopes=("restlets", "rest_webservices"),
    )


def test_token_url_sits_under_the_rest_base() -> None:
    assert TOKEN_URL == "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token"


@pytest.mark.parametrize("algorithm", ["PS256", "ES256"])
def test_assertion_header_and_claims(
    algorithm: M2MAlgorithm, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    key = rsa_key if algorithm == "PS256" else ec_key
    assertion = build_client_assertion(_credentials(_pem(key), algorithm), now=NOW + 0.7, jti=lambda: "j-1")
    header = jwt.get_unverified_header(assertion)
    assert header == {"alg": algorithm, "kid": "cert-abc", "typ": "JWT"}
    claims = jwt.decode(
        assertion,
        key.public_key(),
        algorithms=[algorithm],
        audience=TOKEN_URL,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims == {
        "iss": "client-123",
        "scope": "restlets,rest_webservices",
        "aud": TOKEN_URL,
        "iat": NOW,
        "exp": claims["exp"],
        "jti": "j-1",
    }
    assert NOW < claims["exp"] < NOW + 3600


def test_each_assertion_has_its_own_jti(rsa_key: rsa.RSAPrivateKey) -> None:
    credentials = _credentials(_pem(rsa_key), "PS256")
    jtis = {
        jwt.decode(build_client_assertion(credentials, now=NOW), options={"verify_signature": False})["jti"]
        for _ in range(20)
    }
    assert len(jtis) == 20


def test_a_key_of_the_wrong_kind_is_an_auth_error_without_key_material(
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    pem = _pem(ec_key)
    with pytest.raises(AuthError) as caught:
        build_client_assertion(_credentials(pem, "PS256"), now=NOW)
    assert "PRIVATE KEY" not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_credentials_repr_hides_the_key(rsa_key: rsa.RSAPrivateKey) -> None:
    pem = _pem(rsa_key)
    assert pem not in repr(_credentials(pem, "PS256"))
    assert "PRIVATE" not in repr(_credentials(pem, "PS256"))


def test_token_request_form() -> None:
    form = parse_qs(token_request_body("a.b.c").decode(), strict_parsing=True)
    assert form == {
        "grant_type": ["client_credentials"],
        "client_assertion_type": [CLIENT_ASSERTION_TYPE],
        "client_assertion": ["a.b.c"],
    }
    assert b"urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer" in token_request_body("x")


def test_token_response_is_parsed() -> None:
    answer = {"access_token": "eyJ.token.sig", "expires_in": "3600", "token_type": "bearer"}
    body = json.dumps(answer).encode()
    grant = parse_token_response(200, body)
    assert (grant.access_token, grant.expires_in_s, grant.token_type) == ("eyJ.token.sig", 3600.0, "Bearer")
    assert "eyJ.token.sig" not in repr(grant)


@pytest.mark.parametrize(
    "body",
    [
        {"expires_in": 3600, "token_type": "Bearer"},
        {"access_token": "t", "token_type": "Bearer"},
        {"access_token": "t", "expires_in": 0, "token_type": "Bearer"},
        {"access_token": "t", "expires_in": True, "token_type": "Bearer"},
        {"access_token": "t", "expires_in": "\u00b2", "token_type": "Bearer"},
        {"access_token": "t", "expires_in": "9" * 5000, "token_type": "Bearer"},
        {"access_token": "t", "expires_in": 3600, "token_type": "mac"},
    ],
)
def test_incomplete_token_response_is_an_auth_error(body: dict[str, object]) -> None:
    with pytest.raises(AuthError):
        parse_token_response(200, json.dumps(body).encode())


def test_refusal_names_the_oauth_code_but_not_the_description() -> None:
    answer = {"error": "invalid_grant", "error_description": "assertion a.b.SECRETSIG rejected"}
    body = json.dumps(answer).encode()
    with pytest.raises(AuthError) as caught:
        parse_token_response(400, body)
    message = str(caught.value)
    assert "invalid_grant" in message
    assert "400" in message
    assert "SECRETSIG" not in message


def test_refusal_with_an_odd_error_value_is_not_echoed() -> None:
    with pytest.raises(AuthError) as caught:
        parse_token_response(401, json.dumps({"error": "Bearer eyJhbGciOi.secret"}).encode())
    assert "eyJ" not in str(caught.value)


@pytest.mark.parametrize(("status", "body"), [(503, b"<html>down</html>"), (429, b""), (200, b"not json")])
def test_server_trouble_is_transient(status: int, body: bytes) -> None:
    with pytest.raises(TransientError):
        parse_token_response(status, body)
