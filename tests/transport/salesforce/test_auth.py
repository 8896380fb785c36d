from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import jwt
import orjson
import pytest
from aioresponses import CallbackResult, aioresponses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from yarl import URL

from bulk_o2c.config import SalesforceSettings
from bulk_o2c.errors import AuthError, ConfigError
from bulk_o2c.transport.salesforce.auth import SalesforceAuth, write_secret_file

from .conftest import quick_retry

LOGIN = "https://login.salesforce.com"
TOKEN_URL = f"{LOGIN}/services/oauth2/token"
INTROSPECT_URL = f"{LOGIN}/services/oauth2/introspect"
NOW = 1_700_000_000.0


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _settings(**values: Any) -> SalesforceSettings:
    return SalesforceSettings(**{"login_url": LOGIN, "client_id": "3MVG9", **values})


def _auth(session: aiohttp.ClientSession, settings: SalesforceSettings) -> SalesforceAuth:
    return SalesforceAuth(session, settings, retry=quick_retry(), clock=lambda: NOW)


def _forms(mocked: aioresponses, url: str) -> list[dict[str, list[str]]]:
    return [parse_qs(call.kwargs["data"].decode()) for call in mocked.requests.get(("POST", URL(url)), [])]


async def test_jwt_flow(
    session: aiohttp.ClientSession, mocked: aioresponses, rsa_key: rsa.RSAPrivateKey
) -> None:
    settings = _settings(username="int@acme.com", private_key=_pem(rsa_key), session_timeout_s=900)
    mocked.post(
        TOKEN_URL, payload={"access_token": "00D!A", "instance_url": "https://acme.my.salesforce.com"}
    )
    token = await _auth(session, settings).tokens.get()
    assert token.value == "00D!A"
    assert token.instance_url == "https://acme.my.salesforce.com"
    assert token.lifetime_s == 900  # no expires_in, no secret to introspect with
    assert token.issued_at == NOW
    form = _forms(mocked, TOKEN_URL)[0]
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    claims = jwt.decode(
        form["assertion"][0],
        rsa_key.public_key(),
        algorithms=["RS256"],
        audience=LOGIN,
        options={"verify_exp": False},
    )
    assert claims.pop("exp") == pytest.approx(time.time() + 180, abs=5)  # real time, not the token clock
    assert claims == {"iss": "3MVG9", "sub": "int@acme.com", "aud": LOGIN}
    assert "00D!A" not in repr(token)


async def test_jwt_renewal_signs_a_new_assertion(
    session: aiohttp.ClientSession, mocked: aioresponses, rsa_key: rsa.RSAPrivateKey
) -> None:
    auth = _auth(session, _settings(username="u", private_key=_pem(rsa_key)))
    mocked.post(TOKEN_URL, payload={"access_token": "a1", "instance_url": "https://x.my.salesforce.com"})
    mocked.post(TOKEN_URL, payload={"access_token": "a2", "instance_url": "https://x.my.salesforce.com"})
    first = await auth.tokens.get()
    second = await auth.tokens.invalidate(first)
    assert (first.value, second.value) == ("a1", "a2")
    assert len(_forms(mocked, TOKEN_URL)) == 2


async def test_configured_instance_url_is_the_fallback(
    session: aiohttp.ClientSession, mocked: aioresponses, rsa_key: rsa.RSAPrivateKey
) -> None:
    settings = _settings(
        username="u", private_key=_pem(rsa_key), instance_url="https://acme.my.salesforce.com"
    )
    mocked.post(TOKEN_URL, payload={"access_token": "a"})
    assert (await _auth(session, settings).tokens.get()).instance_url == "https://acme.my.salesforce.com"
    mocked.post(TOKEN_URL, payload={"access_token": "a"})
    with pytest.raises(ConfigError, match="instance_url"):
        await _auth(session, _settings(username="u", private_key=_pem(rsa_key))).tokens.get()


async def test_client_credentials_with_introspected_lifetime(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    settings = _settings(
        auth_flow="client_credentials", client_secret="s3cret", login_url="https://acme.my.salesforce.com"
    )
    token_url = "https://acme.my.salesforce.com/services/oauth2/token"
    mocked.post(token_url, payload={"access_token": "a", "instance_url": "https://acme.my.salesforce.com"})
    mocked.post(
        "https://acme.my.salesforce.com/services/oauth2/introspect",
        payload={"active": True, "exp": int(NOW) + 1800, "iat": int(NOW)},
    )
    token = await _auth(session, settings).tokens.get()
    assert token.lifetime_s == 1800
    assert _forms(mocked, token_url)[0] == {
        "grant_type": ["client_credentials"],
        "client_id": ["3MVG9"],
        "client_secret": ["s3cret"],
    }
    introspect = _forms(mocked, "https://acme.my.salesforce.com/services/oauth2/introspect")[0]
    assert introspect["token"] == ["a"]


async def test_failed_introspection_falls_back_to_the_session_timeout(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    settings = _settings(auth_flow="client_credentials", client_secret="s", session_timeout_s=600)
    mocked.post(TOKEN_URL, payload={"access_token": "a", "instance_url": "https://x.my.salesforce.com"})
    mocked.post(INTROSPECT_URL, status=404, body=b"not here")
    assert (await _auth(session, settings).tokens.get()).lifetime_s == 600


async def test_expires_in_wins(session: aiohttp.ClientSession, mocked: aioresponses) -> None:
    settings = _settings(auth_flow="client_credentials", client_secret="s")
    mocked.post(TOKEN_URL, payload={"access_token": "a", "instance_url": "https://x", "expires_in": 3600})
    assert (await _auth(session, settings).tokens.get()).lifetime_s == 3600
    assert ("POST", URL(INTROSPECT_URL)) not in mocked.requests


async def test_rotated_refresh_token_is_saved_before_use(
    session: aiohttp.ClientSession, mocked: aioresponses, tmp_path: Path
) -> None:
    saved = tmp_path / "state" / "sf_refresh_token"
    settings = _settings(auth_flow="refresh_token", refresh_token="rt-0", refresh_token_file=saved)
    mocked.post(
        TOKEN_URL, payload={"access_token": "a1", "instance_url": "https://x", "refresh_token": "rt-1"}
    )
    mocked.post(
        TOKEN_URL, payload={"access_token": "a2", "instance_url": "https://x", "refresh_token": "rt-2"}
    )
    auth = _auth(session, settings)
    first = await auth.tokens.get()
    assert saved.read_text() == "rt-1"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    await auth.tokens.invalidate(first)
    assert saved.read_text() == "rt-2"
    assert [f["refresh_token"] for f in _forms(mocked, TOKEN_URL)] == [["rt-0"], ["rt-1"]]
    assert list(saved.parent.iterdir()) == [saved]  # no temp file left behind


async def test_saved_refresh_token_beats_the_configured_one(
    session: aiohttp.ClientSession, mocked: aioresponses, tmp_path: Path
) -> None:
    saved = tmp_path / "rt"
    write_secret_file(saved, "rt-saved\n")
    settings = _settings(auth_flow="refresh_token", refresh_token="rt-config", refresh_token_file=saved)
    mocked.post(TOKEN_URL, payload={"access_token": "a", "instance_url": "https://x"})
    await _auth(session, settings).tokens.get()
    assert _forms(mocked, TOKEN_URL)[0]["refresh_token"] == ["rt-saved"]


async def test_unsaved_rotation_withholds_the_access_token(
    session: aiohttp.ClientSession, mocked: aioresponses, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    settings = _settings(auth_flow="refresh_token", refresh_token="rt-0", refresh_token_file=blocker / "rt")
    mocked.post(
        TOKEN_URL, payload={"access_token": "a1", "instance_url": "https://x", "refresh_token": "rt-1"}
    )
    auth = _auth(session, settings)
    with pytest.raises(FileExistsError):
        await auth.tokens.get()
    assert auth.tokens.refreshes == 0


async def test_refresh_runs_one_at_a_time(session: aiohttp.ClientSession, mocked: aioresponses) -> None:
    import asyncio

    settings = _settings(auth_flow="refresh_token", refresh_token="rt-0")
    seen: list[str] = []

    def reply(url: URL, **kwargs: Any) -> CallbackResult:
        used = parse_qs(kwargs["data"].decode())["refresh_token"][0]
        seen.append(used)
        new = f"rt-{len(seen)}"
        answer = {"access_token": f"a-{used}", "instance_url": "https://x", "refresh_token": new}
        return CallbackResult(body=orjson.dumps(answer))

    mocked.post(TOKEN_URL, callback=reply, repeat=True)
    auth = _auth(session, settings)
    await asyncio.gather(auth.fetch(), auth.fetch(), auth.fetch())
    assert seen == ["rt-0", "rt-1", "rt-2"]  # never the same refresh token twice


@pytest.mark.parametrize(
    ("flow", "values", "missing"),
    [
        ("jwt", {}, "salesforce.username, salesforce.private_key"),
        ("client_credentials", {}, "salesforce.client_secret"),
        ("refresh_token", {}, "refresh_token"),
    ],
)
def test_missing_settings(
    flow: str, values: dict[str, str], missing: str, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ConfigError, match=missing):
        _auth(session, _settings(auth_flow=flow, **values))


async def test_refused_grant_is_an_auth_error_not_retried(
    session: aiohttp.ClientSession, mocked: aioresponses, rsa_key: rsa.RSAPrivateKey
) -> None:
    body = b'{"error":"invalid_grant","error_description":"user hasn\'t approved this consumer"}'
    mocked.post(TOKEN_URL, status=400, body=body, repeat=True)
    with pytest.raises(AuthError, match="approved"):
        await _auth(session, _settings(username="u", private_key=_pem(rsa_key))).tokens.get()
    assert len(_forms(mocked, TOKEN_URL)) == 1


async def test_token_endpoint_outage_is_retried(
    session: aiohttp.ClientSession, mocked: aioresponses, rsa_key: rsa.RSAPrivateKey
) -> None:
    mocked.post(TOKEN_URL, status=503, body=b"")
    mocked.post(TOKEN_URL, exception=aiohttp.ServerDisconnectedError())
    mocked.post(TOKEN_URL, payload={"access_token": "a", "instance_url": "https://x"})
    assert (
        await _auth(session, _settings(username="u", private_key=_pem(rsa_key))).tokens.get()
    ).value == "a"


def test_secret_file_is_private_and_atomic(tmp_path: Path) -> None:
    target = tmp_path / "rt"
    write_secret_file(target, "one")
    write_secret_file(target, "two")
    assert target.read_text() == "two"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["rt"]
