"""What the sandbox answers: a whole-request SOAP fault, or one write outcome per record.

Rules this module owns:
- Fault texts and codes are NetSuite's (reference netsuite-soap.md sections 1.7, 4, 5 and Oracle's
  error-code table). Two real codes lie outside the schema's ``FaultCodeType`` enum:
  ``INVALID_LOGIN_ATTEMPT`` (what a failed tokenPassport gets) and ``EXCEEDED_RQST_SIZE_LIMIT``;
  NetSuite sends them all the same, so clients must not validate fault codes against the enum.
- A request the sandbox cannot even read (not XML, an operation it does not emulate, wrong
  version) gets a fault
  whose wording is the sandbox's own; those cases are client bugs, not conditions to retry.
- A record outcome is a success exactly when it carries no ``ERROR`` detail; ``WARN`` details ride
  along with a success.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CONCURRENCY_MESSAGE = "SuiteTalk concurrent request limit exceeded. Request blocked."
INVALID_LOGIN_MESSAGE = "Invalid login attempt."


@dataclass(frozen=True, slots=True)
class SoapFault:
    """A whole-request rejection, sent as HTTP 500 with a ``soapenv:Fault`` body."""

    code: str
    message: str
    # Local name of the detail element in the faults namespace; None sends no <detail>.
    element: str | None
    faultcode: str = "soapenv:Server.userException"


def concurrency_limit_exceeded() -> SoapFault:
    return SoapFault("WS_REQUEST_BLOCKED", CONCURRENCY_MESSAGE, "exceededConcurrentRequestLimitFault")


def invalid_login() -> SoapFault:
    return SoapFault("INVALID_LOGIN_ATTEMPT", INVALID_LOGIN_MESSAGE, "invalidCredentialsFault")


def ambiguous_authentication() -> SoapFault:
    # tokenPassport together with applicationInfo (or a Passport) in one request.
    return SoapFault("USER_ERROR", "Ambiguous authentication", "invalidCredentialsFault")


def record_count_exceeded(limit: int) -> SoapFault:
    # Oracle's template, "a {2} operation", grammar included.
    message = (
        f"The maximum number ( {limit} ) of records allowed for a upsertList operation has been exceeded."
    )
    return SoapFault("MAX_RCRDS_EXCEEDED", message, "exceededRecordCountFault")


def request_size_exceeded(limit_bytes: int) -> SoapFault:
    message = f"You have exceeded the permitted request size limit ({limit_bytes})"
    return SoapFault("EXCEEDED_RQST_SIZE_LIMIT", message, "exceededRequestSizeFault")


def unexpected_error(error_id: str) -> SoapFault:
    message = f"An unexpected error occurred. Error ID: {error_id}"
    return SoapFault("UNEXPECTED_ERROR", message, "unexpectedErrorFault")


def version_mismatch(endpoint_version: str, body_version: str) -> SoapFault:
    message = f"The request uses the {body_version} schema but was sent to the {endpoint_version} endpoint."
    return SoapFault("INVALID_WS_VERSION", message, "invalidVersionFault")


def governance_refused() -> SoapFault:
    # Invented wording: both governance calls answer administrators only, and what others get is
    # unpublished; the WSDL lists InsufficientPermissionFault for them, so that is the element.
    message = "Permission Violation: governance information is available to administrator roles only."
    return SoapFault("INSUFFICIENT_PERMISSION", message, "insufficientPermissionFault")


def unreadable_request(reason: str) -> SoapFault:
    return SoapFault("USER_ERROR", reason, None, faultcode="soapenv:Client")


@dataclass(frozen=True, slots=True)
class StatusDetail:
    code: str
    message: str
    type: Literal["ERROR", "WARN"] = "ERROR"


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """One ``writeResponse``: the record's reference, and its internal id when it was written."""

    record_type: str | None
    external_id: str | None
    internal_id: str | None = None
    details: tuple[StatusDetail, ...] = ()

    @property
    def is_success(self) -> bool:
        return all(detail.type != "ERROR" for detail in self.details)
