"""M2M token fetch over HTTP (aioresponses): the request, proactive renewal, one refresh, refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import anyio
import jwt
import pytest
from aioresponses import CallbackResult, aioresponses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from yarl import URL

from bulk_o2c.errors import AuthError, BodyTooLargeError, TransientError
from bulk_o2c.protocol.netsuite.m2m import CLIENT_ASSERTION_TYPE, M2MCredentials, token_url
from bulk_o2c.transport.netsuite.m2m_tokens import TOKEN_ANSWER_LIMITS, M2MTokenFetcher, m2m_token_manager

TOKEN_URL = token_url("https://1234567-sb1.suitetalk.api.netsuite.com/services/rest")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def credentials(key: ec.EllipticCurvePrivateKey) -> M2MCredentials:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return M2MCredentials("client-1", "cert-1", pem, TOKEN_URL, algorithm="ES256")


def _granting(counter: list[str], key: ec.EllipticCurvePrivateKey) -> Callable[..., CallbackResult]:
    def reply(url: URL, **kwargs: Any) -> CallbackResult:
        form = parse_qs(kwargs["data"].decode())
        assert form["grant_type"] == ["client_credentials"]
        assert form["client_assertion_type"] == [CLIENT_ASSERTION_TYPE]
        claims = jwt.decode(
            form["client_assertion"][0],
            key.public_key(),
            algorithms=["ES256"],
            audience=TOKEN_URL,
            options={"verify_exp": False, "verify_iat": False},
        )
        counter.append(claims["jti"])
        token = f"access-{len(counter)}"
        answer = {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}
        return CallbackResult(status=200, body=json.dumps(answer))

    return reply


@pytest.fixture
def jtis(mocked: aioresponses, key: ec.EllipticCurvePrivateKey) -> list[str]:
    """The token endpoint grants every request; the list collects each assertion's ``jti``."""
    issued: list[str] = []
    mocked.post(TOKEN_URL, callback=_granting(issued, key), repeat=True)
    return issued


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.mark.usefixtures("jtis")
async def test_fetch_posts_a_signed_assertion_and_reads_the_token(
    session: aiohttp.ClientSession, mocked: aioresponses, credentials: M2MCredentials, clock: FakeClock
) -> None:
    token = await M2MTokenFetcher(session, credentials, clock=clock)()
    assert token.value == "access-1"
    assert token.issued_at == clock.now
    assert token.lifetime_s == 3600
    (request,) = mocked.requests[("POST", URL(TOKEN_URL))]
    assert request.kwargs["headers"]["Content-Type"] == "application/x-www-form-urlencoded"


async def test_token_is_renewed_before_the_hour_is_over(
    session: aiohttp.ClientSession, credentials: M2MCredentials, jtis: list[str], clock: FakeClock
) -> None:
    manager = m2m_token_manager(session, credentials, clock=clock)
    first = await manager.get()
    clock.now += 44 * 60
    assert await manager.get() is first
    clock.now += 60  # 45 minutes in: still valid for 15, but renewed now
    second = await manager.get()
    assert second.value == "access-2"
    assert clock.now < first.expires_at
    assert len(set(jtis)) == 2  # a new assertion each time


async def test_many_concurrent_callers_cause_one_token_request(
    session: aiohttp.ClientSession, credentials: M2MCredentials, jtis: list[str], clock: FakeClock
) -> None:
    manager = m2m_token_manager(session, credentials, clock=clock)
    values: list[str] = []

    async def caller() -> None:
        values.append((await manager.get()).value)

    for _ in range(2):
        async with anyio.create_task_group() as tg:
            for _ in range(40):
                tg.start_soon(caller)
        clock.now += 46 * 60  # past the renewal point
    assert len(jtis) == 2
    assert values == ["access-1"] * 40 + ["access-2"] * 40


async def test_refusal_is_an_auth_error_without_the_description(
    session: aiohttp.ClientSession,
    mocked: aioresponses,
    credentials: M2MCredentials,
) -> None:
    refusal = {"error": "invalid_grant", "error_description": "jwt eyJsecret"}
    mocked.post(TOKEN_URL, status=400, body=json.dumps(refusal))
    with pytest.raises(AuthError, match="invalid_grant") as caught:
        await M2MTokenFetcher(session, credentials)()
    assert "eyJ" not in str(caught.value)


async def test_connection_failure_is_transient(
    session: aiohttp.ClientSession,
    mocked: aioresponses,
    credentials: M2MCredentials,
) -> None:
    mocked.post(TOKEN_URL, exception=aiohttp.ClientConnectionError("reset"))
    with pytest.raises(TransientError):
        await M2MTokenFetcher(session, credentials)()


async def test_timeout_is_transient(
    session: aiohttp.ClientSession,
    mocked: aioresponses,
    credentials: M2MCredentials,
) -> None:
    mocked.post(TOKEN_URL, exception=TimeoutError())
    with pytest.raises(TransientError):
        await M2MTokenFetcher(session, credentials)()


async def test_an_oversize_answer_is_refused(
    session: aiohttp.ClientSession,
    mocked: aioresponses,
    credentials: M2MCredentials,
) -> None:
    mocked.post(TOKEN_URL, body=b'{"access_token": "' + b"a" * TOKEN_ANSWER_LIMITS.max_bytes + b'"}')
    with pytest.raises(BodyTooLargeError, match="NetSuite token request"):
        await M2MTokenFetcher(session, credentials)()
