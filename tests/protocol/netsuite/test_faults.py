from __future__ import annotations

import pickle

import pytest

from bulk_o2c.errors import (
    ConcurrencyLimitError,
    PermanentError,
    RequestTooLargeError,
    SessionExpiredError,
    TransientError,
)
from bulk_o2c.protocol.netsuite.faults import (
    TRANSIENT_STATUS_CODES,
    ConcurrencyFault,
    MalformedResponseError,
    PermanentFault,
    RecordCountFault,
    RecordDisposition,
    RequestSizeFault,
    SessionFault,
    SoapFault,
    TransientFault,
    classify_outcome,
    fault_from,
)
from bulk_o2c.protocol.netsuite.outcomes import StatusDetail, WriteOutcome
from tests.support.shared_files import xsd_elements, xsd_enumeration

BY_NAME: dict[str, type[SoapFault]] = {
    "exceededConcurrentRequestLimitFault": ConcurrencyFault,
    "exceededRequestLimitFault": ConcurrencyFault,
    "exceededRecordCountFault": RecordCountFault,
    "exceededRequestSizeFault": RequestSizeFault,
    "invalidSessionFault": SessionFault,
    "unexpectedErrorFault": TransientFault,
    "exceededUsageLimitFault": TransientFault,
    "invalidCredentialsFault": PermanentFault,
    "insufficientPermissionFault": PermanentFault,
    "invalidVersionFault": PermanentFault,
    "invalidAccountFault": PermanentFault,
    "asyncFault": PermanentFault,
}

BY_CODE: dict[str, type[SoapFault]] = {
    "WS_REQUEST_BLOCKED": ConcurrencyFault,
    "WS_CONCUR_SESSION_DISALLWD": ConcurrencyFault,
    "EXCEEDED_MAX_CONCUR_RQST": ConcurrencyFault,
    "MAX_RCRDS_EXCEEDED": RecordCountFault,
    "EXCEEDED_RQST_SIZE_LIMIT": RequestSizeFault,
    "SESSION_TIMED_OUT": SessionFault,
    "UNEXPECTED_ERROR": TransientFault,
    "ACCT_TEMP_UNAVAILABLE": TransientFault,
    "USER_ERROR": PermanentFault,
    "INVALID_LOGIN_CREDENTIALS": PermanentFault,
    "INSUFFICIENT_PERMISSION": PermanentFault,
    "INVALID_WS_VERSION": PermanentFault,
}


@pytest.mark.parametrize(("name", "expected"), BY_NAME.items())
def test_fault_element_name_decides_when_the_code_is_generic(name: str, expected: type[SoapFault]) -> None:
    fault = fault_from(name, "", "msg")
    assert type(fault) is expected
    assert (fault.fault_name, fault.code, fault.message) == (name, "", "msg")


def test_every_fault_element_of_the_schema_is_classified() -> None:
    assert xsd_elements("platform.faults.xsd") == set(BY_NAME)


@pytest.mark.parametrize(("code", "expected"), BY_CODE.items())
def test_fault_code_classification(code: str, expected: type[SoapFault]) -> None:
    assert type(fault_from("", code, "msg")) is expected


def test_fault_codes_in_the_table_are_real() -> None:
    assert set(BY_CODE) - {"EXCEEDED_MAX_CONCUR_RQST", "EXCEEDED_RQST_SIZE_LIMIT"} <= xsd_enumeration(
        "platform.faultTypes.xsd", "FaultCodeType"
    )
    assert {"EXCEEDED_MAX_CONCUR_RQST", "EXCEEDED_RQST_SIZE_LIMIT"} <= xsd_enumeration(
        "platform.faultTypes.xsd", "StatusDetailCodeType"
    )


def test_a_specific_code_beats_the_fault_element() -> None:
    assert type(fault_from("invalidSessionFault", "WS_CONCUR_SESSION_DISALLWD", "")) is ConcurrencyFault
    assert type(fault_from("invalidCredentialsFault", "UNEXPECTED_ERROR", "")) is TransientFault


def test_a_generic_code_does_not_override_the_fault_element() -> None:
    assert type(fault_from("exceededRequestLimitFault", "USER_ERROR", "")) is ConcurrencyFault


def test_unknown_faults_are_permanent() -> None:
    fault = fault_from("", "", "org.xml.sax.SAXException: '_usa' is not a legal value")
    assert type(fault) is PermanentFault
    assert type(fault_from("brandNewFault", "BRAND_NEW_CODE", "")) is PermanentFault


@pytest.mark.parametrize(
    ("cls", "bases"),
    [
        (ConcurrencyFault, (ConcurrencyLimitError, TransientError)),
        (RecordCountFault, (RequestTooLargeError, PermanentError)),
        (RequestSizeFault, (RequestTooLargeError, PermanentError)),
        (SessionFault, (SessionExpiredError, TransientError)),
        (TransientFault, (TransientError,)),
        (PermanentFault, (PermanentError,)),
    ],
)
def test_fault_classes_sit_in_the_error_hierarchy(cls: type[SoapFault], bases: tuple[type, ...]) -> None:
    fault = cls("x", "Y", "z")
    assert isinstance(fault, SoapFault)
    for base in bases:
        assert isinstance(fault, base)


def test_transient_and_permanent_are_exclusive() -> None:
    for cls in {*BY_NAME.values(), *BY_CODE.values()}:
        fault = cls("", "", "")
        assert isinstance(fault, TransientError) != isinstance(fault, PermanentError)


def test_malformed_response_is_transient_and_not_a_fault() -> None:
    error = MalformedResponseError("truncated")
    assert isinstance(error, TransientError)
    assert not isinstance(error, SoapFault)


def test_str_names_the_fault_and_bounds_the_message() -> None:
    fault = fault_from("exceededConcurrentRequestLimitFault", "WS_REQUEST_BLOCKED", "Request blocked.")
    assert str(fault) == "exceededConcurrentRequestLimitFault [WS_REQUEST_BLOCKED]: Request blocked."
    long = fault_from("", "", "x" * 10_000)
    assert str(long).startswith("SOAP fault [no code]: xxx")
    assert len(str(long)) < 600
    assert long.message == "x" * 10_000


def test_faults_survive_pickling() -> None:
    fault = fault_from("invalidSessionFault", "SESSION_TIMED_OUT", "timed out")
    copy = pickle.loads(pickle.dumps(fault))  # noqa: S301 - our own object
    assert type(copy) is SessionFault
    assert (copy.fault_name, copy.code, copy.message) == (fault.fault_name, fault.code, fault.message)


def detail(code: str, type_: str = "ERROR", after: bool = False) -> StatusDetail:
    return StatusDetail(code=code, message=f"{code} message", type=type_, after_submit_failed=after)


def outcome(is_success: bool, *details: StatusDetail) -> WriteOutcome:
    return WriteOutcome(is_success, "1" if is_success else None, "EXT-1", "customer", details)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (outcome(True), RecordDisposition.SAVED),
        (outcome(True, detail("WARNING", "WARN")), RecordDisposition.SAVED),
        (outcome(False, detail("USER_ERROR", after=True)), RecordDisposition.SAVED),
        (
            outcome(False, detail("UNEXPECTED_ERROR"), detail("USER_ERROR", after=True)),
            RecordDisposition.SAVED,
        ),
        (outcome(False, detail("RCRD_HAS_BEEN_CHANGED")), RecordDisposition.RETRY),
        (outcome(False, detail("UNEXPECTED_ERROR")), RecordDisposition.RETRY),
        (outcome(False, detail("WS_REQUEST_BLOCKED")), RecordDisposition.RETRY),
        (outcome(False, detail("ACCT_TEMP_UNAVAILABLE"), detail("WARNING", "WARN")), RecordDisposition.RETRY),
        (outcome(False, detail("INVALID_KEY_OR_REF")), RecordDisposition.FAILED),
        (outcome(False, detail("UNEXPECTED_ERROR"), detail("INVALID_FLD_VALUE")), RecordDisposition.FAILED),
        (outcome(False, detail("UNEXPECTED_ERROR", "WARN")), RecordDisposition.FAILED),
        (outcome(False), RecordDisposition.FAILED),
        (outcome(False, detail("RCRD_LOCKED_BY_WF")), RecordDisposition.FAILED),
    ],
)
def test_classify_outcome(case: WriteOutcome, expected: RecordDisposition) -> None:
    assert classify_outcome(case) is expected


def test_transient_status_codes_are_real_netsuite_codes() -> None:
    assert xsd_enumeration("platform.faultTypes.xsd", "StatusDetailCodeType") >= TRANSIENT_STATUS_CODES


def test_reference_transient_codes_are_included() -> None:
    assert {
        "RCRD_HAS_BEEN_CHANGED",
        "RCRD_EDITED_SINCE_RETRIEVED",
        "UNEXPECTED_ERROR",
        "ACCT_TEMP_UNAVAILABLE",
        "MUST_RESUBMIT_RCRD",
        "SESSION_TIMED_OUT",
        "WS_REQUEST_BLOCKED",
        "WS_CONCUR_SESSION_DISALLWD",
        "EXCEEDED_MAX_CONCUR_RQST",
    } <= TRANSIENT_STATUS_CODES
    assert not {"USER_ERROR", "INVALID_KEY_OR_REF", "DUP_ENTITY", "RCRD_DSNT_EXIST"} & TRANSIENT_STATUS_CODES
