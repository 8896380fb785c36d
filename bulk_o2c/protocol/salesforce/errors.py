"""Salesforce error answers turned into the bulk-o2c exception classes, and the limit header.

Rules this module owns:

- REST / Bulk 2.0 errors are a JSON *list* of ``{"errorCode", "message", "fields"?}``; the first
  entry decides the class. The OAuth token endpoint answers ``{"error", "error_description"}``
  instead, and every such answer is an ``AuthError``: new credentials are needed, not a retry.
- 401 ``INVALID_SESSION_ID`` / ``INVALID_AUTH_HEADER`` mean "refresh and replay once"
  (``InvalidSessionError``), except "This session is not valid for use with the REST API", which
  comes from the token's type or scope and which no refresh cures (``SessionNotUsableError``).
- 403 ``REQUEST_LIMIT_EXCEEDED`` is read by its message: ``TotalRequests`` is the org's daily cap and
  stops the run (``DailyApiLimitError``); ``ConcurrentRequests`` / ``ConcurrentPerOrgLongTxn`` pass
  once the org's other long requests finish (``ConcurrentRequestLimitError``, retried with backoff).
- 429 and 5xx are transient; every other 4xx is permanent, with typed classes for the codes a bad
  query or org setup produces (``MALFORMED_QUERY``, ``INVALID_FIELD``, ``INVALIDENTITY``,
  ``API_DISABLED_FOR_ORG``) and 404 (``NotFoundError``, which lets callers fall back).
- ``Sforce-Limit-Info: api-usage=18/5000; api-bursts=1/750`` is ``;``-separated ``name=used/max``
  directives. The second number is the org's limit, not what remains.

Error messages carry Salesforce's own text, never a request's headers or body, so no token can leak.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from bulk_o2c.errors import (
    AuthError,
    BulkO2CError,
    ConcurrencyLimitError,
    PermanentError,
    SessionExpiredError,
    TransientError,
)

# Salesforce texts are short; a proxy's HTML error page is not, and would flood a log line.
_MAX_QUOTED_BODY = 200


@dataclass(frozen=True, slots=True)
class ApiErrorDetail:
    error_code: str
    message: str
    fields: tuple[str, ...] = ()


class SalesforceApiError(BulkO2CError):
    """An error answer from Salesforce, with the HTTP status and the first ``errorCode``."""

    def __init__(self, message: str, *, status: int, error_code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class InvalidSessionError(SalesforceApiError, SessionExpiredError):
    """The session expired or the header was refused: refresh the token and replay once."""


class SessionNotUsableError(SalesforceApiError, AuthError):
    """The token is valid but not for this API; refreshing it gives another unusable token."""


class FreshTokenRefusedError(SalesforceApiError, AuthError):
    """A token obtained just now was refused too: the grant or the user is wrong, not the timing."""


class DailyApiLimitError(SalesforceApiError, PermanentError):
    """The org used up its daily API requests; nothing will succeed until the 24 h window rolls."""


class ConcurrentRequestLimitError(SalesforceApiError, ConcurrencyLimitError):
    """Too many long-running requests in the org right now; back off and retry."""


class ServerBusyError(SalesforceApiError, TransientError):
    """429 or 5xx: the same request may succeed later."""


class RequestRejectedError(SalesforceApiError, PermanentError):
    """A 4xx that the same request will get again."""


class InvalidQueryError(RequestRejectedError):
    """The SOQL does not parse or names a field that does not exist (or is not visible)."""


class UnsupportedEntityError(RequestRejectedError):
    """The object cannot be queried through Bulk API 2.0."""


class ApiDisabledError(RequestRejectedError):
    """The org's edition or the user's profile does not allow API access."""


class NotFoundError(RequestRejectedError):
    """404: the job, the resource or this API version's endpoint does not exist."""


class OAuthError(SalesforceApiError, AuthError):
    """The token endpoint refused the grant (``invalid_grant``, ``invalid_client``, ...)."""


class SalesforceProtocolError(SalesforceApiError, PermanentError):
    """An answer that does not have the documented shape."""


_QUERY_CODES = frozenset({"MALFORMED_QUERY", "INVALID_FIELD"})
_SESSION_CODES = frozenset({"INVALID_SESSION_ID", "INVALID_AUTH_HEADER"})
_NOT_FOR_REST = "not valid for use with the REST API"


def parse_error_details(body: bytes) -> list[ApiErrorDetail]:
    """The JSON error list of a REST answer; empty when the body is not that shape."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return []
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        return []
    details = []
    for item in data:
        if not isinstance(item, dict):
            continue
        fields = item.get("fields")
        details.append(
            ApiErrorDetail(
                error_code=str(item.get("errorCode") or ""),
                message=str(item.get("message") or ""),
                fields=tuple(str(f) for f in fields) if isinstance(fields, list) else (),
            )
        )
    return details


def api_error(status: int, body: bytes) -> SalesforceApiError:
    """The exception for a REST/Bulk error answer with this status and body."""
    details = parse_error_details(body)
    first = details[0] if details else None
    code = first.error_code if first else ""
    message = first.message if first else _quote_body(body)
    text = f"Salesforce answered HTTP {status}" + (f" {code}" if code else "") + f": {message}"
    if first and first.fields:
        text += f" (fields: {', '.join(first.fields)})"

    if status == 401:
        if _NOT_FOR_REST in message:
            return SessionNotUsableError(text, status=status, error_code=code)
        return InvalidSessionError(text, status=status, error_code=code)
    if code == "REQUEST_LIMIT_EXCEEDED":
        if "TotalRequests" in message:
            return DailyApiLimitError(
                f"{text}. The org's daily API request limit is used up; the run stops here and can be "
                "resumed once the rolling 24-hour window frees requests",
                status=status,
                error_code=code,
            )
        if "Concurrent" in message:
            return ConcurrentRequestLimitError(text, status=status, error_code=code)
    if status == 429 or status >= 500:
        return ServerBusyError(text, status=status, error_code=code)
    if code in _QUERY_CODES:
        return InvalidQueryError(text, status=status, error_code=code)
    if code == "INVALIDENTITY":
        return UnsupportedEntityError(text, status=status, error_code=code)
    if code == "API_DISABLED_FOR_ORG":
        return ApiDisabledError(text, status=status, error_code=code)
    if status == 404:
        return NotFoundError(text, status=status, error_code=code)
    return RequestRejectedError(text, status=status, error_code=code)


def oauth_error(status: int, body: bytes) -> SalesforceApiError:
    """The exception for a token endpoint refusal; 5xx and 429 there are worth another attempt."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict) and "error" in data:
        code = str(data["error"])
        description = str(data.get("error_description") or "")
        text = f"Salesforce token endpoint answered HTTP {status} {code}" + (
            f": {description}" if description else ""
        )
    else:
        code = ""
        text = f"Salesforce token endpoint answered HTTP {status}: {_quote_body(body)}"
    if status == 429 or status >= 500:
        return ServerBusyError(text, status=status, error_code=code)
    return OAuthError(text, status=status, error_code=code)


def parse_limit_info(header: str) -> dict[str, tuple[int, int]]:
    """``api-usage=18/5000; api-bursts=1/750`` -> ``{"api-usage": (18, 5000), ...}`` (used, max).

    Directives that do not have the ``name=used/max`` shape are skipped: the header is advisory.
    """
    limits: dict[str, tuple[int, int]] = {}
    for directive in header.split(";"):
        name, sep, value = directive.partition("=")
        used, slash, maximum = value.partition("/")
        if not (sep and slash):
            continue
        try:
            limits[name.strip()] = (int(used), int(maximum))
        except ValueError:
            continue
    return limits


def _quote_body(body: bytes) -> str:
    text = body[:_MAX_QUOTED_BODY].decode("utf-8", "replace").strip()
    return text or "(empty body)"
