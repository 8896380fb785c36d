from __future__ import annotations

import orjson
import pytest

from bulk_o2c.errors import (
    AuthError,
    ConcurrencyLimitError,
    PermanentError,
    SessionExpiredError,
    TransientError,
)
from bulk_o2c.protocol.salesforce.errors import (
    ApiDisabledError,
    ConcurrentRequestLimitError,
    DailyApiLimitError,
    InvalidQueryError,
    InvalidSessionError,
    NotFoundError,
    OAuthError,
    RequestRejectedError,
    ServerBusyError,
    SessionNotUsableError,
    UnsupportedEntityError,
    api_error,
    oauth_error,
    parse_error_details,
    parse_limit_info,
)


def _body(code: str, message: str, fields: list[str] | None = None) -> bytes:
    item: dict[str, object] = {"errorCode": code, "message": message}
    if fields is not None:
        item["fields"] = fields
    return orjson.dumps([item])


def test_expired_session_is_refreshable() -> None:
    err = api_error(401, _body("INVALID_SESSION_ID", "Session expired or invalid"))
    assert isinstance(err, InvalidSessionError)
    assert isinstance(err, SessionExpiredError)
    assert err.status == 401
    assert err.error_code == "INVALID_SESSION_ID"
    assert "Session expired or invalid" in str(err)


def test_invalid_auth_header_is_refreshable() -> None:
    err = api_error(401, _body("INVALID_AUTH_HEADER", "INVALID_HEADER_TYPE"))
    assert isinstance(err, InvalidSessionError)


def test_session_not_valid_for_rest_is_not_refreshable() -> None:
    body = _body("INVALID_SESSION_ID", "This session is not valid for use with the REST API")
    err = api_error(401, body)
    assert isinstance(err, SessionNotUsableError)
    assert isinstance(err, AuthError)
    assert not isinstance(err, TransientError)


def test_total_requests_stops_the_run_with_a_clear_message() -> None:
    err = api_error(403, _body("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."))
    assert isinstance(err, DailyApiLimitError)
    assert isinstance(err, PermanentError)
    assert "daily API request limit" in str(err)


@pytest.mark.parametrize(
    "message",
    [
        "ConcurrentRequests (Concurrent API Requests) Limit exceeded.",
        "ConcurrentPerOrgLongTxn Limit exceeded",
    ],
)
def test_concurrency_limits_are_retried(message: str) -> None:
    err = api_error(403, _body("REQUEST_LIMIT_EXCEEDED", message))
    assert isinstance(err, ConcurrentRequestLimitError)
    assert isinstance(err, ConcurrencyLimitError)
    assert isinstance(err, TransientError)


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_busy_statuses_are_transient(status: int) -> None:
    err = api_error(status, b"<html>Service Unavailable</html>")
    assert isinstance(err, ServerBusyError)
    assert isinstance(err, TransientError)
    assert "Service Unavailable" in str(err)


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("MALFORMED_QUERY", InvalidQueryError),
        ("INVALID_FIELD", InvalidQueryError),
        ("INVALIDENTITY", UnsupportedEntityError),
        ("API_DISABLED_FOR_ORG", ApiDisabledError),
        ("LIMIT_EXCEEDED", RequestRejectedError),
    ],
)
def test_bad_requests_are_permanent(code: str, cls: type[Exception]) -> None:
    err = api_error(400, _body(code, "nope", ["Foo__c"]))
    assert type(err) is cls
    assert isinstance(err, PermanentError)
    assert "Foo__c" in str(err)


def test_not_found_is_its_own_class() -> None:
    err = api_error(404, _body("NOT_FOUND", "The requested resource does not exist"))
    assert isinstance(err, NotFoundError)


def test_non_json_body_is_quoted_and_cut() -> None:
    err = api_error(400, b"x" * 5000)
    assert isinstance(err, RequestRejectedError)
    assert len(str(err)) < 400


def test_error_details_shape() -> None:
    details = parse_error_details(_body("INVALID_FIELD", "No such column", ["A", "B"]))
    assert details[0].error_code == "INVALID_FIELD"
    assert details[0].fields == ("A", "B")
    assert parse_error_details(b"not json") == []
    assert parse_error_details(b'{"errorCode":"X","message":"m"}')[0].error_code == "X"


def test_oauth_refusal_is_auth_error() -> None:
    err = oauth_error(
        400, b'{"error":"invalid_grant","error_description":"user hasn\'t approved this consumer"}'
    )
    assert isinstance(err, OAuthError)
    assert isinstance(err, AuthError)
    assert err.error_code == "invalid_grant"
    assert "approved" in str(err)


def test_oauth_server_error_is_transient() -> None:
    assert isinstance(oauth_error(503, b"down"), TransientError)


def test_limit_info_two_directives() -> None:
    assert parse_limit_info("api-usage=18/5000; api-bursts=1/750") == {
        "api-usage": (18, 5000),
        "api-bursts": (1, 750),
    }


def test_limit_info_skips_garbage() -> None:
    assert parse_limit_info("api-usage=18/5000;weird;x=a/b;y=3") == {"api-usage": (18, 5000)}
    assert parse_limit_info("") == {}
