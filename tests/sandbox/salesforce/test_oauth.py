import datetime as dt
import time
from typing import Any

import aiohttp
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.sandbox.salesforce.conftest import Org, StartOrg, public_pem

GRANT_KEYS = {"access_token", "instance_url", "id", "token_type", "scope", "issued_at", "signature"}
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


async def post_token(org: Org, form: dict[str, str], **kwargs: Any) -> tuple[int, dict[str, Any]]:
    async with org.http.post(
        f"{org.sandbox.base_url}/services/oauth2/token", data=form, **kwargs
    ) as response:
        return response.status, dict(await response.json())


async def api_status(org: Org, token: str) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with org.http.get(f"{org.api}/jobs/query/7505g0000000999AAA", headers=headers) as response:
        return response.status, await response.json()


def assertion(key: rsa.RSAPrivateKey, org: Org, **claims: Any) -> str:
    payload = {
        "iss": org.sandbox.config.client_id,
        "sub": org.sandbox.config.username,
        "aud": org.sandbox.base_url,
        "exp": int(time.time()) + 180,
        **claims,
    }
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, key, algorithm="RS256")


async def test_jwt_bearer_grant_answers_like_salesforce(
    start_org: StartOrg, rsa_key: rsa.RSAPrivateKey
) -> None:
    org = await start_org(jwt_public_key_pem=public_pem(rsa_key))
    status, body = await post_token(org, {"grant_type": JWT_BEARER, "assertion": assertion(rsa_key, org)})
    assert status == 200
    assert set(body) == GRANT_KEYS  # no expires_in, no refresh_token
    assert body["token_type"] == "Bearer"
    assert body["instance_url"] == org.sandbox.base_url
    assert body["id"].startswith(org.sandbox.base_url + "/id/00D")
    assert await api_status(org, body["access_token"]) == (
        404,
        [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}],
    )


@pytest.mark.parametrize(
    ("claims", "error", "description"),
    [
        ({"aud": "https://login.salesforce.com"}, "invalid_grant", "audience is invalid"),
        ({"exp": int(time.time()) - 10}, "invalid_grant", "expired authorization code"),
        ({"exp": int(time.time()) + 3600}, "invalid_grant", "invalid assertion"),
        ({"sub": "someone@else.example"}, "invalid_grant", "user hasn't approved this consumer"),
        ({"iss": "another-app"}, "invalid_client_id", "client identifier invalid"),
        ({"exp": None}, "invalid_grant", "invalid assertion"),
    ],
)
async def test_jwt_claims_are_checked(
    start_org: StartOrg, rsa_key: rsa.RSAPrivateKey, claims: dict[str, Any], error: str, description: str
) -> None:
    org = await start_org(jwt_public_key_pem=public_pem(rsa_key))
    issued_before = org.sandbox.stats.sessions_issued
    status, body = await post_token(
        org, {"grant_type": JWT_BEARER, "assertion": assertion(rsa_key, org, **claims)}
    )
    assert (status, body) == (400, {"error": error, "error_description": description})
    assert org.sandbox.stats.sessions_issued == issued_before


async def test_jwt_signed_with_another_key_or_algorithm_is_refused(
    start_org: StartOrg, rsa_key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey
) -> None:
    org = await start_org(jwt_public_key_pem=public_pem(rsa_key))
    hs256 = jwt.encode({"iss": "x", "sub": "y", "aud": "z", "exp": int(time.time()) + 60}, "k" * 32)
    for token in (assertion(other_key, org), hs256, "not-a-jwt"):
        status, body = await post_token(org, {"grant_type": JWT_BEARER, "assertion": token})
        assert (status, body) == (400, {"error": "invalid_grant", "error_description": "invalid assertion"})


async def test_configured_audience_and_certificate_are_accepted(
    start_org: StartOrg, rsa_key: rsa.RSAPrivateKey
) -> None:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bulk-o2c test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(rsa_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(rsa_key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
    org = await start_org(jwt_public_key_pem=pem, jwt_audience="https://login.salesforce.com")
    token = assertion(rsa_key, org, aud="https://login.salesforce.com")
    status, body = await post_token(org, {"grant_type": JWT_BEARER, "assertion": token})
    assert status == 200, body


async def test_jwt_is_refused_when_no_key_is_configured(org: Org, rsa_key: rsa.RSAPrivateKey) -> None:
    status, body = await post_token(org, {"grant_type": JWT_BEARER, "assertion": assertion(rsa_key, org)})
    assert (status, body["error"]) == (400, "invalid_grant")


async def test_client_credentials_in_basic_auth_and_bad_secrets(org: Org) -> None:
    config = org.sandbox.config
    basic = {"Authorization": aiohttp.encode_basic_auth(config.client_id, config.client_secret)}
    status, body = await post_token(org, {"grant_type": "client_credentials"}, headers=basic)
    assert status == 200
    assert set(body) == GRANT_KEYS
    for form in (
        {"grant_type": "client_credentials", "client_id": config.client_id, "client_secret": "wrong"},
        {"grant_type": "client_credentials", "client_id": "other", "client_secret": config.client_secret},
        {"grant_type": "client_credentials"},
    ):
        status, body = await post_token(org, form)
        assert (status, body) == (
            400,
            {"error": "invalid_client", "error_description": "invalid client credentials"},
        )
        assert "wrong" not in str(body)


async def test_unknown_grant_type(org: Org) -> None:
    status, body = await post_token(org, {"grant_type": "password"})
    assert (status, body["error"]) == (400, "unsupported_grant_type")


def refresh_form(org: Org, token: str) -> dict[str, str]:
    config = org.sandbox.config
    return {
        "grant_type": "refresh_token",
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "refresh_token": token,
    }


async def test_refresh_rotation_and_family_revocation_on_reuse(org: Org) -> None:
    first = org.sandbox.issue_refresh_token()
    status, granted = await post_token(org, refresh_form(org, first))
    assert status == 200
    second = granted["refresh_token"]
    assert second != first
    assert (await api_status(org, granted["access_token"]))[0] == 404
    status, granted_again = await post_token(org, refresh_form(org, second))
    assert status == 200
    third = granted_again["refresh_token"]

    # Replaying a spent token revokes the whole family: tokens and the sessions it produced.
    expired = {"error": "invalid_grant", "error_description": "expired access/refresh token"}
    assert await post_token(org, refresh_form(org, first)) == (400, expired)
    assert await post_token(org, refresh_form(org, third)) == (400, expired)
    assert (await api_status(org, granted_again["access_token"]))[0] == 401
    # Other families and other sessions are untouched.
    assert (await api_status(org, org.token))[0] == 404
    assert (await post_token(org, refresh_form(org, org.sandbox.issue_refresh_token())))[0] == 200


async def test_without_rotation_a_refresh_token_stays_valid(start_org: StartOrg) -> None:
    org = await start_org(rotate_refresh_tokens=False, refresh_token="seeded-refresh-token")
    for _ in range(3):
        status, body = await post_token(org, refresh_form(org, "seeded-refresh-token"))
        assert status == 200
        assert "refresh_token" not in body
    status, body = await post_token(org, refresh_form(org, "never-issued"))
    assert (status, body["error"]) == (400, "invalid_grant")


async def test_session_expires_after_the_timeout_counted_from_issue(start_org: StartOrg) -> None:
    clock = FakeClock()
    org = await start_org(clock=clock, session_timeout_s=7200.0, time_scale=3600.0)
    assert (await api_status(org, org.token))[0] == 404
    clock.now += 1.9  # 1.9 real seconds = 6840 sandbox seconds
    assert (await api_status(org, org.token))[0] == 404
    clock.now += 0.2
    assert await api_status(org, org.token) == (
        401,
        [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
    )
    assert org.sandbox.stats.unauthorized_sent == 1
    assert org.sandbox.stats.sessions_issued == 1


async def test_sessions_can_be_expired_on_demand_and_bad_headers_are_refused(org: Org) -> None:
    async with org.http.get(f"{org.api}/jobs/query/x") as response:
        assert response.status == 401
        assert (await response.json())[0]["errorCode"] == "INVALID_AUTH_HEADER"
    org.sandbox.expire_sessions()
    status, body = await api_status(org, org.token)
    assert (status, body[0]["errorCode"]) == (401, "INVALID_SESSION_ID")
    assert org.sandbox.stats.unauthorized_sent == 2


async def test_introspection(start_org: StartOrg) -> None:
    clock = FakeClock()
    org = await start_org(clock=clock, session_timeout_s=7200.0)
    config = org.sandbox.config
    url = f"{org.sandbox.base_url}/services/oauth2/introspect"

    async def introspect(token: str, secret: str = config.client_secret) -> tuple[int, dict[str, Any]]:
        form = {"token": token, "token_type_hint": "access_token"}
        headers = {"Authorization": aiohttp.encode_basic_auth(config.client_id, secret)}
        async with org.http.post(url, data=form, headers=headers) as response:
            return response.status, dict(await response.json())

    status, body = await introspect(org.token)
    assert status == 200
    assert body["active"] is True
    assert body["iat"] == int(clock.now)
    assert body["exp"] - body["iat"] == 7200
    assert await introspect("unknown") == (200, {"active": False})
    assert (await introspect(org.token, "wrong"))[0] == 401
    clock.now += 7200
    assert await introspect(org.token) == (200, {"active": False})
