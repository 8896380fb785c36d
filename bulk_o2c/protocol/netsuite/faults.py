"""SOAP faults as typed errors, and what to do with a record NetSuite did not save.

The fault classes, their branches and what the retry policy does with each are catalogued in
bulk_o2c/errors.py, with every other error.

Rules this module owns:
- A fault is classified by its specific code first (``WS_REQUEST_BLOCKED`` means concurrency whatever
  fault element carries it), then by the fault element name, and is permanent when neither is known:
  an unknown fault retried forever is worse than one sent to a human. Faults without a NetSuite
  detail (e.g. ``org.xml.sax.SAXException: ... is not a legal value``) are request errors: permanent.
- A garbled or truncated body is transient: proxies and dropped connections produce them, and the
  upsert makes a resend harmless.
- A record is SAVED when NetSuite kept it (including ``afterSubmitFailed``), RETRY when every error it
  carries is one of ``TRANSIENT_STATUS_CODES`` (reference section 5), FAILED otherwise.
- ``str()`` of a fault shows its name, code and a bounded message; faults never carry request bodies.
"""

from __future__ import annotations

import enum

from bulk_o2c.errors import (
    BulkO2CError,
    ConcurrencyLimitError,
    PermanentError,
    RequestTooLargeError,
    SessionExpiredError,
    TransientError,
)
from bulk_o2c.protocol.netsuite.outcomes import WriteOutcome

# Long enough for any NetSuite message; short enough that a server echoing data cannot flood a log.
_MESSAGE_LIMIT = 500


class SoapFault(BulkO2CError):
    """NetSuite rejected the whole request."""

    def __init__(self, fault_name: str, code: str, message: str) -> None:
        super().__init__(fault_name, code, message)
        self.fault_name = fault_name
        self.code = code
        self.message = message

    def __str__(self) -> str:
        message = self.message
        if len(message) > _MESSAGE_LIMIT:
            message = message[:_MESSAGE_LIMIT] + "..."
        return f"{self.fault_name or 'SOAP fault'} [{self.code or 'no code'}]: {message}"


class ConcurrencyFault(SoapFault, ConcurrencyLimitError):
    """The account's shared concurrency pool (or request rate) is exhausted."""


class RecordCountFault(SoapFault, RequestTooLargeError):
    """More records than the operation accepts in one request."""


class RequestSizeFault(SoapFault, RequestTooLargeError):
    """The request body is larger than NetSuite accepts."""


class SessionFault(SoapFault, SessionExpiredError):
    """The session or token was not accepted as current."""


class TransientFault(SoapFault, TransientError):
    """NetSuite failed in a way that a later attempt may not."""


class PermanentFault(SoapFault, PermanentError):
    """The same request will be rejected again."""


class MalformedResponseError(TransientError):
    """The body is not a readable SOAP response (truncated, garbled, HTML, or declares a DTD)."""


_FAULT_BY_CODE: dict[str, type[SoapFault]] = {
    "WS_REQUEST_BLOCKED": ConcurrencyFault,
    "WS_CONCUR_SESSION_DISALLWD": ConcurrencyFault,
    "EXCEEDED_MAX_CONCUR_RQST": ConcurrencyFault,
    "CONCURRENCY_LIMIT_EXCEEDED": ConcurrencyFault,
    "WS_EXCEEDED_CONCUR_USERS_ALLWD": ConcurrencyFault,
    "MAX_RCRDS_EXCEEDED": RecordCountFault,
    "EXCEEDED_RQST_SIZE_LIMIT": RequestSizeFault,
    "SESSION_TIMED_OUT": SessionFault,
    "INVALID_SESSION": SessionFault,
    "UNEXPECTED_ERROR": TransientFault,
    "ACCT_TEMP_UNAVAILABLE": TransientFault,
}

_FAULT_BY_NAME: dict[str, type[SoapFault]] = {
    "exceededConcurrentRequestLimitFault": ConcurrencyFault,
    "exceededRequestLimitFault": ConcurrencyFault,
    "exceededRecordCountFault": RecordCountFault,
    "exceededRequestSizeFault": RequestSizeFault,
    "invalidSessionFault": SessionFault,
    "unexpectedErrorFault": TransientFault,
    # Usage limits are governance quotas that refill over time, not a property of the request.
    "exceededUsageLimitFault": TransientFault,
    "invalidCredentialsFault": PermanentFault,
    "insufficientPermissionFault": PermanentFault,
    "invalidVersionFault": PermanentFault,
    "invalidAccountFault": PermanentFault,
    "asyncFault": PermanentFault,
}


def fault_from(fault_name: str, code: str, message: str) -> SoapFault:
    """Build the typed fault for a fault element name (``""`` if none), code and message."""
    cls = _FAULT_BY_CODE.get(code) or _FAULT_BY_NAME.get(fault_name) or PermanentFault
    return cls(fault_name, code, message)


class RecordDisposition(enum.Enum):
    SAVED = "saved"
    RETRY = "retry"
    FAILED = "failed"


TRANSIENT_STATUS_CODES: frozenset[str] = frozenset(
    {
        # Another user or script edited the record concurrently.
        "RCRD_HAS_BEEN_CHANGED",
        "RCRD_EDITED_SINCE_RETRIEVED",
        "CANT_UPDATE_RECRD_HAS_CHANGED",
        # NetSuite's own failures and maintenance windows.
        "UNEXPECTED_ERROR",
        "ACCT_TEMP_UNAVAILABLE",
        "MUST_RESUBMIT_RCRD",
        "PAYROLL_IN_PROCESS",
        "OTHER_PMT_AUTH_IN_PROGRESS",
        # Session and concurrency trouble reported per record instead of as a fault.
        "SESSION_TIMED_OUT",
        "WS_REQUEST_BLOCKED",
        "WS_CONCUR_SESSION_DISALLWD",
        "EXCEEDED_MAX_CONCUR_RQST",
        "CONCURRENCY_LIMIT_EXCEEDED",
        "WS_EXCEEDED_CONCUR_USERS_ALLWD",
    }
)


def classify_outcome(outcome: WriteOutcome) -> RecordDisposition:
    """Decide whether a record is done, worth resending, or a failure for the dead-letter queue."""
    if outcome.saved:
        return RecordDisposition.SAVED
    errors = outcome.errors
    if errors and all(d.code in TRANSIENT_STATUS_CODES for d in errors):
        return RecordDisposition.RETRY
    return RecordDisposition.FAILED
