"""Result CSV headers, sf__Error, and the join that gives every uploaded row one outcome."""

from __future__ import annotations

import random

import pytest

from bulk_o2c.protocol.salesforce.errors import SalesforceProtocolError
from bulk_o2c.protocol.salesforce.ingest import IngestJobInfo, ResultSet
from bulk_o2c.protocol.salesforce.ingest_results import (
    JOB_ABORTED_CODE,
    JOB_FAILED_CODE,
    LISTED_UNPROCESSED,
    NO_RESULT_ROW,
    UNKNOWN_ERROR_CODE,
    Failed,
    OutcomeJoin,
    RecordError,
    ResultColumns,
    Succeeded,
    parse_sf_error,
)
from bulk_o2c.protocol.salesforce.jobs import JobState

EXT = "NetSuite_Customer_ID__c"
JOB_ID = "7505e000000XXXXAAA"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --",
            RecordError("REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]", ("LastName",)),
        ),
        (
            "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--",
            RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"),
        ),
        (
            "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: 001x",
            RecordError(
                "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records: 001x"
            ),
        ),
        (
            "DUPLICATE_VALUE:duplicate value found: Ext__c duplicates value on id: 001x:Ext__c, Name --",
            RecordError(
                "DUPLICATE_VALUE",
                "duplicate value found: Ext__c duplicates value on id: 001x",
                ("Ext__c", "Name"),
            ),
        ),
        (
            "FIELD_CUSTOM_VALIDATION_EXCEPTION:Status must be set",
            RecordError("FIELD_CUSTOM_VALIDATION_EXCEPTION", "Status must be set"),
        ),
        (
            "TooManyLockFailure : Too many lock failure 200 Trying again later.",
            RecordError("TooManyLockFailure", "Too many lock failure 200 Trying again later."),
        ),
        ("Unexpected error: see the log", RecordError(UNKNOWN_ERROR_CODE, "Unexpected error: see the log")),
        ("Error: boom", RecordError(UNKNOWN_ERROR_CODE, "Error: boom")),
        ("", RecordError(UNKNOWN_ERROR_CODE, "")),
        ("multi\nline:x", RecordError(UNKNOWN_ERROR_CODE, "multi\nline:x")),
    ],
)
def test_sf_error_is_split_into_code_message_and_fields(text: str, expected: RecordError) -> None:
    assert parse_sf_error(text) == expected


def test_lock_failures_are_recognised() -> None:
    assert parse_sf_error("UNABLE_TO_LOCK_ROW:unable to obtain exclusive access").is_lock_failure
    assert parse_sf_error("TooManyLockFailure : Too many lock failure").is_lock_failure
    assert not parse_sf_error("DUPLICATE_VALUE:duplicate").is_lock_failure


def test_successful_results_header_and_rows() -> None:
    header = ["sf__Id", "sf__Created", EXT, "Status__c"]
    columns = ResultColumns.from_header(ResultSet.SUCCESSFUL, header, EXT)

    assert columns.outcome(["001A", "true", "NS-1", "x"]) == ("NS-1", Succeeded("001A", created=True))
    assert columns.outcome(["001B", "false", "NS-2", ""]) == ("NS-2", Succeeded("001B", created=False))


def test_failed_results_header_and_rows_found_by_name_in_any_order() -> None:
    # Peers have seen the uploaded columns echoed in another order than uploaded.
    columns = ResultColumns.from_header(ResultSet.FAILED, ["sf__Id", "sf__Error", "Status__c", EXT], EXT)

    external_id, outcome = columns.outcome(["", "INVALID_FIELD:bad:Status__c --", "x", "NS-9"])

    assert external_id == "NS-9"
    assert outcome == Failed(RecordError("INVALID_FIELD", "bad", ("Status__c",)), sf_id="")


def test_unprocessed_results_have_only_the_uploaded_columns() -> None:
    columns = ResultColumns.from_header(ResultSet.UNPROCESSED, ["Status__c", EXT], EXT)

    assert columns.outcome(["x", "NS-3"]) == ("NS-3", LISTED_UNPROCESSED)


def test_an_external_id_column_echoed_in_another_case_is_found() -> None:
    columns = ResultColumns.from_header(ResultSet.UNPROCESSED, ["netsuite_customer_id__c"], EXT)

    assert columns.outcome(["NS-3"])[0] == "NS-3"


@pytest.mark.parametrize(
    ("result_set", "header"),
    [
        (ResultSet.SUCCESSFUL, ["sf__Id", EXT]),
        (ResultSet.SUCCESSFUL, ["sf__Created", EXT]),
        (ResultSet.FAILED, ["sf__Id", "sf__Created", EXT]),
        (ResultSet.FAILED, ["sf__Id", "sf__Error", "Name"]),
        (ResultSet.UNPROCESSED, ["Name"]),
        (ResultSet.UNPROCESSED, ["netsuite_customer_id__c", "NETSUITE_CUSTOMER_ID__C"]),
    ],
)
def test_a_header_without_a_needed_column_is_refused(result_set: ResultSet, header: list[str]) -> None:
    with pytest.raises(SalesforceProtocolError, match="has no column"):
        ResultColumns.from_header(result_set, header, EXT)


def test_a_created_flag_that_is_not_a_boolean_is_a_protocol_error() -> None:
    columns = ResultColumns.from_header(ResultSet.SUCCESSFUL, ["sf__Id", "sf__Created", EXT], EXT)

    with pytest.raises(SalesforceProtocolError, match="not true or false"):
        columns.outcome(["001A", "yes", "NS-1"])


def test_a_result_row_without_an_external_id_is_a_protocol_error() -> None:
    columns = ResultColumns.from_header(ResultSet.UNPROCESSED, [EXT], EXT)

    with pytest.raises(SalesforceProtocolError, match="no external id"):
        columns.outcome([""])


def _info(
    state: JobState, message: str | None = None, *, processed: int = 0, failed: int = 0
) -> IngestJobInfo:
    return IngestJobInfo(
        JOB_ID, state, error_message=message, records_processed=processed, records_failed=failed
    )


def test_shuffled_results_are_joined_by_external_id() -> None:
    ids = [f"NS-{n}" for n in range(200)]
    expected = {
        external_id: Succeeded(f"001{n:015d}", n % 2 == 0)
        if n % 3
        else Failed(RecordError("DUPLICATE_VALUE", f"dup {n}"))
        for n, external_id in enumerate(ids)
    }
    arrivals = list(expected.items())
    random.Random(7).shuffle(arrivals)
    join = OutcomeJoin(ids)

    for external_id, outcome in arrivals:
        join.add(external_id, outcome)

    failed = sum(isinstance(outcome, Failed) for outcome in expected.values())
    assert join.finish(_info(JobState.JOB_COMPLETE, processed=200, failed=failed)) == expected


def test_a_result_for_an_id_that_was_not_uploaded_is_refused() -> None:
    join = OutcomeJoin(["a"])

    with pytest.raises(SalesforceProtocolError, match="did not upload"):
        join.add("b", LISTED_UNPROCESSED)


def test_two_results_for_one_id_are_refused() -> None:
    join = OutcomeJoin(["a", "b"])
    join.add("a", Succeeded("001", created=False))

    with pytest.raises(SalesforceProtocolError, match="two result rows"):
        join.add("a", Failed(RecordError("X", "y")))


def test_rows_a_completed_job_never_mentions_are_unprocessed() -> None:
    join = OutcomeJoin(["a", "b"])
    join.add("a", Succeeded("001", created=True))

    assert join.finish(_info(JobState.JOB_COMPLETE, processed=1)) == {
        "a": Succeeded("001", True),
        "b": NO_RESULT_ROW,
    }


@pytest.mark.parametrize(("processed", "failed"), [(3, 1), (2, 0), (1, 1)])
def test_a_completed_job_whose_results_do_not_add_up_to_its_counts_is_not_taken(
    processed: int, failed: int
) -> None:
    join = OutcomeJoin(["a", "b", "c"])
    join.add("a", Succeeded("001", created=True))
    join.add("b", Failed(RecordError("X", "y")))
    join.add("c", LISTED_UNPROCESSED)  # not processed: in neither count

    with pytest.raises(SalesforceProtocolError, match="results list 2 processed rows \\(1 failed\\)"):
        join.finish(_info(JobState.JOB_COMPLETE, processed=processed, failed=failed))
    assert join.finish(_info(JobState.JOB_COMPLETE, processed=2, failed=1))["c"] == LISTED_UNPROCESSED


def test_a_failed_job_without_row_data_fails_every_row_with_its_message() -> None:
    join = OutcomeJoin(["a", "b"])

    outcomes = join.finish(_info(JobState.FAILED, "InvalidBatch : Field name not found : Nme"))

    failure = Failed(RecordError(JOB_FAILED_CODE, "InvalidBatch : Field name not found : Nme"))
    assert outcomes == {"a": failure, "b": failure}


def test_a_failed_job_without_a_message_says_so() -> None:
    outcomes = OutcomeJoin(["a"]).finish(_info(JobState.FAILED))

    assert outcomes == {"a": Failed(RecordError(JOB_FAILED_CODE, "job failed without a message"))}


def test_a_failed_job_keeps_the_row_outcomes_it_did_report() -> None:
    join = OutcomeJoin(["a", "b", "c"])
    join.add("a", Succeeded("001", created=False))
    join.add("b", LISTED_UNPROCESSED)

    outcomes = join.finish(_info(JobState.FAILED, "boom"))

    assert outcomes == {
        "a": Succeeded("001", False),
        "b": LISTED_UNPROCESSED,
        "c": Failed(RecordError(JOB_FAILED_CODE, "boom")),
    }


def test_an_aborted_job_fails_its_silent_rows_as_aborted() -> None:
    outcomes = OutcomeJoin(["a"]).finish(_info(JobState.ABORTED))

    assert outcomes["a"] == Failed(RecordError(JOB_ABORTED_CODE, "the job was aborted"))


def test_a_running_job_cannot_be_finished() -> None:
    with pytest.raises(ValueError, match="not final"):
        OutcomeJoin(["a"]).finish(_info(JobState.IN_PROGRESS))
