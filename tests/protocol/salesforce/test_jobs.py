from __future__ import annotations

from typing import Any

import pytest

from bulk_o2c.protocol.salesforce.errors import SalesforceProtocolError
from bulk_o2c.protocol.salesforce.jobs import (
    JobState,
    create_query_job_body,
    failure_description,
    is_internal_failure,
    job_path,
    next_locator,
    page_record_count,
    parse_job_info,
    parse_result_pages,
    resolve_link,
    result_pages_path,
    results_params,
    results_path,
)

JOB: dict[str, Any] = {
    "id": "750R0000000zlh9IAA",
    "operation": "query",
    "object": "Account",
    "createdById": "005R0000000GiwjIAC",
    "createdDate": "2018-12-10T17:50:19.000+0000",
    "systemModstamp": "2018-12-10T17:51:27.000+0000",
    "state": "JobComplete",
    "concurrencyMode": "Parallel",
    "contentType": "CSV",
    "apiVersion": 46.0,
    "jobType": "V2Query",
    "lineEnding": "LF",
    "columnDelimiter": "COMMA",
    "numberRecordsProcessed": 500,
    "retries": 0,
    "totalProcessingTime": 334,
}


def test_create_body() -> None:
    assert create_query_job_body(
        "SELECT Id FROM Account", operation="queryAll", column_delimiter="PIPE", line_ending="CRLF"
    ) == {
        "operation": "queryAll",
        "query": "SELECT Id FROM Account",
        "contentType": "CSV",
        "columnDelimiter": "PIPE",
        "lineEnding": "CRLF",
    }


@pytest.mark.parametrize(
    "kwargs",
    [{"operation": "insert"}, {"column_delimiter": "COLON"}, {"line_ending": "CR"}],
)
def test_create_body_refuses_unknown_options(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=r"unknown|operation"):
        create_query_job_body("SELECT Id FROM Account", **kwargs)  # type: ignore[arg-type]


def test_job_info() -> None:
    info = parse_job_info(JOB)
    assert info.id == JOB["id"]
    assert info.state is JobState.JOB_COMPLETE
    assert info.state.is_terminal
    assert info.number_records_processed == 500
    assert info.error_message is None
    assert info.api_version == "46.0"
    assert info.object == "Account"


@pytest.mark.parametrize(
    ("state", "terminal"),
    [
        ("UploadComplete", False),
        ("InProgress", False),
        ("JobComplete", True),
        ("Failed", True),
        ("Aborted", True),
    ],
)
def test_terminal_states(state: str, terminal: bool) -> None:
    assert parse_job_info({**JOB, "state": state}).state.is_terminal is terminal


def test_failed_job_with_and_without_message() -> None:
    with_message = parse_job_info(
        {**JOB, "state": "Failed", "retries": 16, "errorMessage": "InvalidBatch : Field name not found : Nme"}
    )
    assert with_message.error_message == "InvalidBatch : Field name not found : Nme"
    assert "Field name not found" in failure_description(with_message)
    assert "16 internal retries" in failure_description(with_message)
    without = parse_job_info({**JOB, "state": "Failed", "errorMessage": ""})
    assert without.error_message is None
    assert "no errorMessage" in failure_description(without)
    assert "aborted" in failure_description(parse_job_info({**JOB, "state": "Aborted"}))


@pytest.mark.parametrize(
    ("state", "message", "internal"),
    [
        ("Failed", "Unexpected exception encountered in query processing. Please contact support ...", True),
        ("Failed", "unexpected exception: contact support", True),
        ("Failed", "InvalidBatch : Field name not found : Nme", False),
        ("Failed", None, False),
        ("Aborted", "Unexpected exception", False),
    ],
)
def test_the_internal_error_is_told_apart(state: str, message: str | None, internal: bool) -> None:
    data = {**JOB, "state": state} | ({} if message is None else {"errorMessage": message})
    assert is_internal_failure(parse_job_info(data)) is internal


@pytest.mark.parametrize(
    "data",
    [[], {**JOB, "state": "Exploded"}, {**JOB, "id": "../x"}, {**JOB, "numberRecordsProcessed": "many"}],
)
def test_bad_job_info(data: Any) -> None:
    with pytest.raises(SalesforceProtocolError):
        parse_job_info(data)


def test_paths_refuse_bad_ids() -> None:
    assert job_path("750R0000000zlh9IAA") == "jobs/query/750R0000000zlh9IAA"
    assert results_path("750A") == "jobs/query/750A/results"
    assert result_pages_path("750A") == "jobs/query/750A/resultPages"
    for bad in ("", "750/../x", "750?a"):
        with pytest.raises(ValueError, match="job id"):
            job_path(bad)


def test_results_params_always_send_max_records() -> None:
    assert results_params(10_000, None) == {"maxRecords": "10000"}
    assert results_params(5, "MTAwMDA") == {"maxRecords": "5", "locator": "MTAwMDA"}
    with pytest.raises(ValueError, match="null"):
        results_params(5, "null")
    with pytest.raises(ValueError, match="maxRecords"):
        results_params(0, None)


def test_locator_null_ends_paging_and_missing_is_an_error() -> None:
    assert next_locator("null") is None
    assert next_locator("MTAwMDA") == "MTAwMDA"
    for missing in (None, "", "  "):
        with pytest.raises(SalesforceProtocolError, match="Sforce-Locator"):
            next_locator(missing)


def test_page_record_count() -> None:
    assert page_record_count("42") == 42
    assert page_record_count(None) is None
    with pytest.raises(SalesforceProtocolError):
        page_record_count("x")


def test_link_resolution() -> None:
    assert resolve_link("/services/data/v58.0/jobs/query/750/results?locator=a", "62.0") == (
        "/services/data/v58.0/jobs/query/750/results?locator=a"
    )
    assert (
        resolve_link("jobs/query/750/results?locator=a", "62.0")
        == "/services/data/v62.0/jobs/query/750/results?locator=a"
    )
    assert (
        resolve_link("https://x.my.salesforce.com/services/y", "62.0")
        == "https://x.my.salesforce.com/services/y"
    )


def test_result_pages_documented_shape() -> None:
    batch = parse_result_pages(
        {
            "resultPages": [
                {"resultUrl": "/services/data/v58.0/jobs/query/750/results?locator=aBc"},
                {"resultUrl": "/services/data/v58.0/jobs/query/750/results?locator=dEf&maxRecords=10"},
            ],
            "nextRecordsUrl": "/services/data/v58.0/jobs/query/750/resultPages?locator=gHi",
            "done": False,
        },
        api_version="58.0",
        job_id="750",
    )
    assert [p.locator for p in batch.pages] == ["aBc", "dEf"]
    assert batch.next_url == "/services/data/v58.0/jobs/query/750/resultPages?locator=gHi"
    assert not batch.done


def test_result_pages_live_shape() -> None:
    batch = parse_result_pages(
        {"resultChunks": [{"resultLink": "jobs/query/750/results"}], "nextRecordsUrl": None, "done": True},
        api_version="62.0",
        job_id="750",
    )
    assert batch.pages[0].url == "/services/data/v62.0/jobs/query/750/results"
    assert batch.pages[0].locator is None
    assert batch.done


def test_result_pages_singular_continuation_and_done_wins() -> None:
    batch = parse_result_pages(
        {"resultLink": [], "resultPages": [], "nextRecordUrl": "jobs/query/750/resultPages?locator=x"},
        api_version="62.0",
        job_id="750",
    )
    assert batch.next_url == "/services/data/v62.0/jobs/query/750/resultPages?locator=x"
    finished = parse_result_pages(
        {"resultPages": [], "nextRecordsUrl": "jobs/query/750/resultPages?locator=x", "done": True},
        api_version="62.0",
        job_id="750",
    )
    assert finished.done


@pytest.mark.parametrize(
    "link",
    [
        "jobs/query/751/results?locator=a",  # another job's pages
        "/services/data/v62.0/jobs/ingest/750/successfulResults",  # not a query job's results
        "/services/data/v62.0/sobjects/Account",
        "https://x.my.salesforce.com/services/data/v62.0/jobs/query/7500/results",
    ],
)
def test_result_pages_naming_another_job_are_refused(link: str) -> None:
    with pytest.raises(SalesforceProtocolError, match="names another job"):
        parse_result_pages({"resultPages": [{"resultUrl": link}]}, api_version="62.0", job_id="750")
    with pytest.raises(SalesforceProtocolError, match="names another job"):
        parse_result_pages(
            {"resultPages": [], "nextRecordsUrl": link, "done": False}, api_version="62.0", job_id="750"
        )


@pytest.mark.parametrize(
    "data", [[], {"pages": []}, {"resultPages": [{"url": "x"}]}, {"resultPages": [{"resultUrl": ""}]}]
)
def test_result_pages_bad_shapes(data: Any) -> None:
    with pytest.raises(SalesforceProtocolError):
        parse_result_pages(data, api_version="62.0", job_id="750")
