"""Ingest job requests and JobInfo parsing."""

from __future__ import annotations

import pytest

from bulk_o2c.protocol.salesforce.errors import SalesforceProtocolError
from bulk_o2c.protocol.salesforce.ingest import (
    IngestJobInfo,
    ResultSet,
    UpsertJob,
    job_path,
    results_path,
    upload_path,
)
from bulk_o2c.protocol.salesforce.jobs import JobState

JOB_ID = "7505e000000XXXXAAA"


def test_create_body_is_an_upsert_by_external_id() -> None:
    job = UpsertJob("Account", "NetSuite_Customer_ID__c", line_ending="CRLF", column_delimiter="PIPE")

    assert job.create_body() == {
        "object": "Account",
        "externalIdFieldName": "NetSuite_Customer_ID__c",
        "operation": "upsert",
        "contentType": "CSV",
        "lineEnding": "CRLF",
        "columnDelimiter": "PIPE",
    }
    assert (job.line_terminator, job.delimiter) == ("\r\n", "|")


def test_defaults_are_lf_and_comma() -> None:
    job = UpsertJob("Account", "Ext__c")

    assert (job.create_body()["lineEnding"], job.create_body()["columnDelimiter"]) == ("LF", "COMMA")
    assert (job.line_terminator, job.delimiter) == ("\n", ",")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"object_name": "", "external_id_field": "Ext__c"}, "object name"),
        ({"object_name": "Account", "external_id_field": ""}, "external id"),
        ({"object_name": "Account", "external_id_field": "X", "line_ending": "CR"}, "lineEnding"),
        ({"object_name": "Account", "external_id_field": "X", "column_delimiter": "COLON"}, "Delimiter"),
    ],
)
def test_a_job_spec_is_checked(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        UpsertJob(**kwargs)  # type: ignore[arg-type]


def test_paths_are_relative_to_the_versioned_base() -> None:
    assert job_path(JOB_ID) == f"jobs/ingest/{JOB_ID}"
    assert upload_path(JOB_ID) == f"jobs/ingest/{JOB_ID}/batches"
    assert results_path(JOB_ID, ResultSet.SUCCESSFUL) == f"jobs/ingest/{JOB_ID}/successfulResults/"
    assert results_path(JOB_ID, ResultSet.FAILED) == f"jobs/ingest/{JOB_ID}/failedResults/"
    # Lower-case r, as the documentation spells it.
    assert results_path(JOB_ID, ResultSet.UNPROCESSED) == f"jobs/ingest/{JOB_ID}/unprocessedrecords/"


@pytest.mark.parametrize("bad", ["", "750/../../x", "750 5e", "7505e000000XXXXAAA?x=1", "abc", "7" * 19])
def test_a_job_id_that_is_not_a_salesforce_id_never_reaches_a_path(bad: str) -> None:
    with pytest.raises(ValueError, match="not a Salesforce job id"):
        job_path(bad)


def test_a_15_character_id_is_accepted() -> None:
    assert job_path(JOB_ID[:15]) == f"jobs/ingest/{JOB_ID[:15]}"


def test_job_info_of_a_completed_job() -> None:
    info = IngestJobInfo.from_json(
        {
            "id": JOB_ID,
            "operation": "upsert",
            "object": "Account",
            "state": "JobComplete",
            "numberRecordsProcessed": 12,
            "numberRecordsFailed": 3,
            "errorMessage": "",
            "apiVersion": 62.0,
        }
    )

    assert info == IngestJobInfo(JOB_ID, JobState.JOB_COMPLETE, 12, 3, None)
    assert info.state.is_terminal


def test_job_info_of_a_failed_job_keeps_its_message() -> None:
    info = IngestJobInfo.from_json(
        {"id": JOB_ID, "state": "Failed", "errorMessage": "InvalidBatch : Field name not found : Nme"}
    )

    assert info.state is JobState.FAILED
    assert info.error_message == "InvalidBatch : Field name not found : Nme"
    assert (info.records_processed, info.records_failed) == (0, 0)


@pytest.mark.parametrize("state", ["Open", "UploadComplete", "InProgress"])
def test_open_and_running_states_are_not_terminal(state: str) -> None:
    assert not IngestJobInfo.from_json({"id": JOB_ID, "state": state}).state.is_terminal


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"state": "JobComplete"},
        {"id": "../x", "state": "JobComplete"},
        {"id": JOB_ID, "state": "Finished"},
        {"id": JOB_ID},
        {"id": JOB_ID, "state": "JobComplete", "numberRecordsFailed": "3"},
        {"id": JOB_ID, "state": "JobComplete", "numberRecordsFailed": True},
        {"id": JOB_ID, "state": "JobComplete", "numberRecordsProcessed": -1},
    ],
)
def test_a_malformed_job_info_is_a_protocol_error(payload: object) -> None:
    with pytest.raises(SalesforceProtocolError):
        IngestJobInfo.from_json(payload)
