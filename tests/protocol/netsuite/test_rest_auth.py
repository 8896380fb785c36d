"""The REST OAuth 1.0a header: Oracle's published vector and the realm rule."""

from __future__ import annotations

from urllib.parse import unquote

from bulk_o2c.protocol.netsuite.passport import TbaCredentials
from bulk_o2c.protocol.netsuite.rest_auth import rest_authorization

CREDENTIALS = TbaCredentials(
    "123456",
    "ef40afdd8abaac111b13825dd5e5e2ddddb44f86d5a0dd6dcf38c20aae6b67e4",
    "d26ad321a4b2f23b0741c8d38392ce01c3e23e109df6c96eac6d099e9ab9e8b5",
    "2b0ce516420110bcbd36b69e99196d1b7f6de3c6234c5afb799b73d87569f5cc",
    "c29a677df7d5439a458c063654187e3d678d73aca8e3c9d8bea1478a3eb0d295",
)
URL = "https://123456.suitetalk.api.netsuite.com/services/rest/record/v1/employee/40"


def _params(header: str) -> dict[str, str]:
    assert header.startswith("OAuth ")
    pairs = (item.strip().split("=", 1) for item in header[len("OAuth ") :].split(","))
    return {k: v.strip('"') for k, v in pairs}


def test_oracle_rest_vector_reproduces() -> None:
    header = rest_authorization(CREDENTIALS, "get", URL, nonce="fjaLirsIcCGVZWzBX0pg", timestamp=1508242306)
    params = _params(header)
    assert params["oauth_signature"] == "B5OIWznZ2YP0OB7VrJrGkYsTh%2B8H%2B5T9Hag%2Bo92q0zY%3D"
    assert params["realm"] == "123456"
    assert params["oauth_signature_method"] == "HMAC-SHA256"
    assert params["oauth_version"] == "1.0"
    assert params["oauth_token"] == CREDENTIALS.token_id
    assert params["oauth_consumer_key"] == CREDENTIALS.consumer_key


def test_realm_is_the_upper_case_account() -> None:
    sandbox = TbaCredentials("1234567_sb1", "ck", "cs", "tok", "ts")
    assert _params(rest_authorization(sandbox, "GET", URL))["realm"] == "1234567_SB1"


def test_query_parameters_are_signed() -> None:
    def signature(url: str) -> str:
        header = rest_authorization(CREDENTIALS, "GET", url, nonce="abcdef123456", timestamp=1508242306)
        return _params(header)["oauth_signature"]

    assert signature(URL) != signature(URL + "?limit=5")


def test_each_call_gets_a_new_nonce() -> None:
    nonces = {_params(rest_authorization(CREDENTIALS, "GET", URL))["oauth_nonce"] for _ in range(50)}
    assert len(nonces) == 50
    assert all(unquote(n).isalnum() for n in nonces)
