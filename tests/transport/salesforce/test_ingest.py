"""upsert_rows against scripted HTTP answers: the client's edge cases, one request at a time.

The ``http`` and ``mocked`` fixtures come from this directory's conftest.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator

import anyio
import anyio.lowlevel
import orjson
import pytest
from aioresponses import aioresponses
from yarl import URL

from bulk_o2c.protocol.salesforce.errors import RequestRejectedError, SalesforceProtocolError
from bulk_o2c.protocol.salesforce.ingest_results import (
    JOB_ABORTED_CODE,
    JOB_FAILED_CODE,
    LISTED_UNPROCESSED,
    Failed,
    RecordError,
    Succeeded,
)
from bulk_o2c.protocol.salesforce.ingest_upload import Row
from bulk_o2c.transport.salesforce.http import SalesforceHttp
from bulk_o2c.transport.salesforce.ingest import IngestReport, JobFailedError, upsert_rows
from bulk_o2c.transport.salesforce.polling import Polling

from .conftest import API

Mock = aioresponses
EXT = "NetSuite_Customer_ID__c"
FIELDS = (EXT, "NetSuite_Status__c")
UPLOAD_HEADER = f"{EXT},NetSuite_Status__c\n"
OK_HEADER = f'"sf__Id","sf__Created",{UPLOAD_HEADER}'
FAILED_HEADER = f'"sf__Id","sf__Error",{UPLOAD_HEADER}'
LOCKED = "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: 001x"
NOT_FOUND = [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]


def job_id(number: int) -> str:
    return f"750{number:012d}AAA"


def job_url(number: int, suffix: str = "") -> str:
    return f"{API}/jobs/ingest/{job_id(number)}{suffix}"


def info(number: int, state: str, **extra: str | int) -> dict[str, str | int]:
    return {"id": job_id(number), "object": "Account", "operation": "upsert", "state": state, **extra}


def sf_id(key: str) -> str:
    return f"001{sum(map(ord, key)):012d}AAA"


def mock_job(
    mocked: Mock,
    number: int,
    *,
    polls: tuple[str, ...] = ("InProgress", "JobComplete"),
    successful: str | None = None,
    failed: str | None = None,
    unprocessed: str | None = None,
    error_message: str | None = None,
    missing: tuple[str, ...] = (),
    delete_status: int = 204,
    processed: int | None = None,
) -> None:
    """One job's whole conversation. A result set given as None answers 204 No Content; one named
    in ``missing`` answers 404. The job's counts are its result files' rows unless ``processed``
    says otherwise."""
    mocked.post(f"{API}/jobs/ingest", payload=info(number, "Open"))
    mocked.put(job_url(number, "/batches"), status=201)
    mocked.patch(job_url(number), payload=info(number, "UploadComplete"))
    extra: dict[str, str | int] = {"errorMessage": error_message} if error_message is not None else {}
    failed_rows = _data_rows(failed)
    extra["numberRecordsProcessed"] = _data_rows(successful) + failed_rows if processed is None else processed
    extra["numberRecordsFailed"] = failed_rows
    for state in polls:
        mocked.get(job_url(number), payload=info(number, state, **extra))
    results = {"successfulResults": successful, "failedResults": failed, "unprocessedrecords": unprocessed}
    for name, body in results.items():
        url = job_url(number, f"/{name}/")
        if name in missing:
            mocked.get(url, status=404, payload=NOT_FOUND)
        elif body is None:
            mocked.get(url, status=204)
        else:
            mocked.get(url, status=200, body=body, content_type="text/csv")
    mocked.delete(job_url(number), status=delete_status)


def _data_rows(csv_body: str | None) -> int:
    """The rows of a result file under its header (the tests' files quote no line break)."""
    return max(len((csv_body or "").splitlines()) - 1, 0)


def ok_rows(keys: list[str], *, created: bool = False) -> str:
    return "".join(f'"{sf_id(k)}","{str(created).lower()}",{k},synced\n' for k in keys)


def rows_for(keys: list[str]) -> Iterator[Row]:
    return iter([{EXT: key, "NetSuite_Status__c": "synced"} for key in keys])


def sent(mocked: Mock, method: str, url: str) -> list[bytes]:
    return [call.kwargs["data"] for call in mocked.requests.get((method, URL(url)), [])]


def uploads(mocked: Mock, number: int) -> list[bytes]:
    return sent(mocked, "PUT", job_url(number, "/batches"))


def state_changes(mocked: Mock, number: int) -> list[object]:
    return [orjson.loads(body) for body in sent(mocked, "PATCH", job_url(number))]


async def run(
    http: SalesforceHttp, rows: Iterator[Row] | AsyncIterator[Row], **options: object
) -> IngestReport:
    settings: dict[str, object] = {
        "object_name": "Account",
        "external_id_field": EXT,
        "fields": FIELDS,
        "polling": Polling(0.001, 0.001, 30.0),
        **options,
    }
    return await upsert_rows(http, rows=rows, **settings)  # type: ignore[arg-type]


async def test_shuffled_results_are_joined_to_their_rows(http: SalesforceHttp, mocked: Mock) -> None:
    keys = [f"NS-{n}" for n in range(40)]
    ok, bad = keys[:30], keys[30:]
    shuffled = list(ok)
    random.Random(3).shuffle(shuffled)
    failed = "".join(f'"",DUPLICATE_VALUE:duplicate value found:{EXT} --,{k},synced\n' for k in reversed(bad))
    mock_job(
        mocked,
        1,
        successful=OK_HEADER + ok_rows(shuffled[:10], created=True) + ok_rows(shuffled[10:]),
        failed=FAILED_HEADER + failed,
    )

    report = await run(http, rows_for(keys))

    assert report.outcomes == {
        **{k: Succeeded(sf_id(k), created=k in shuffled[:10]) for k in ok},
        **{k: Failed(RecordError("DUPLICATE_VALUE", "duplicate value found", (EXT,))) for k in bad},
    }
    counts = (report.created, report.updated, report.failed, report.unprocessed, report.total)
    assert counts == (10, 20, 10, 0, 40)
    assert report.job_ids == [job_id(1)]
    assert uploads(mocked, 1) == [(UPLOAD_HEADER + "".join(f"{k},synced\n" for k in keys)).encode()]
    assert orjson.loads(sent(mocked, "POST", f"{API}/jobs/ingest")[0]) == {
        "object": "Account", "externalIdFieldName": EXT, "operation": "upsert",
        "contentType": "CSV", "lineEnding": "LF", "columnDelimiter": "COMMA",
    }  # fmt: skip
    assert state_changes(mocked, 1) == [{"state": "UploadComplete"}]
    assert len(mocked.requests[("DELETE", URL(job_url(1)))]) == 1


async def test_an_empty_200_body_and_a_204_both_mean_no_rows(http: SalesforceHttp, mocked: Mock) -> None:
    mock_job(mocked, 1, successful=OK_HEADER + ok_rows(["a", "b"]), failed="", unprocessed=None)

    report = await run(http, rows_for(["a", "b"]))

    assert report.outcomes == {"a": Succeeded(sf_id("a"), False), "b": Succeeded(sf_id("b"), False)}


async def test_lock_failures_go_again_in_a_new_job_with_their_first_bytes(
    http: SalesforceHttp, mocked: Mock
) -> None:
    locked = f'"",{LOCKED},d,synced\n"",{LOCKED},b,synced\n'
    mock_job(mocked, 1, successful=OK_HEADER + ok_rows(["a", "c"]), failed=FAILED_HEADER + locked)
    mock_job(mocked, 2, successful=OK_HEADER + ok_rows(["d", "b"], created=True))

    report = await run(http, rows_for(["a", "b", "c", "d"]))

    assert uploads(mocked, 2) == [f"{UPLOAD_HEADER}b,synced\nd,synced\n".encode()]
    assert report.outcomes == {
        "a": Succeeded(sf_id("a"), False),
        "b": Succeeded(sf_id("b"), True),
        "c": Succeeded(sf_id("c"), False),
        "d": Succeeded(sf_id("d"), True),
    }
    assert report.job_ids == [job_id(1), job_id(2)]
    assert report.lock_retried_rows == 2
    assert len(mocked.requests[("DELETE", URL(job_url(1)))]) == 1
    assert len(mocked.requests[("DELETE", URL(job_url(2)))]) == 1


async def test_lock_retries_are_bounded_the_last_failure_stands(http: SalesforceHttp, mocked: Mock) -> None:
    for number in (1, 2):
        mock_job(mocked, number, failed=FAILED_HEADER + f'"",{LOCKED},a,synced\n')

    report = await run(http, rows_for(["a"]), max_lock_retries=1)

    outcome = report.outcomes["a"]
    assert isinstance(outcome, Failed)
    assert outcome.error.code == "UNABLE_TO_LOCK_ROW"
    assert report.job_ids == [job_id(1), job_id(2)]


async def test_no_lock_retry_when_disabled(http: SalesforceHttp, mocked: Mock) -> None:
    mock_job(mocked, 1, failed=FAILED_HEADER + f'"",{LOCKED},a,synced\n')

    report = await run(http, rows_for(["a"]), max_lock_retries=0)

    assert report.failed == 1
    assert report.job_ids == [job_id(1)]


async def test_a_job_failed_as_a_whole_is_an_error_carrying_salesforce_message(
    http: SalesforceHttp, mocked: Mock
) -> None:
    message = "InvalidBatch : Field name not found : NetSuite_Status__c"
    mock_job(mocked, 1, polls=("Failed",), error_message=message, failed=FAILED_HEADER, unprocessed="")

    with pytest.raises(JobFailedError) as failed:
        await run(http, rows_for(["a", "b"]))

    assert str(failed.value) == f"Salesforce failed the Account ingest job as a whole: {message}"


async def test_a_failed_job_without_fetchable_results_still_accounts_for_every_row(
    http: SalesforceHttp, mocked: Mock
) -> None:
    mock_job(mocked, 1, polls=("Failed",), missing=("failedResults",), processed=1)

    report = await run(http, rows_for(["a"]))

    assert report.outcomes == {"a": Failed(RecordError(JOB_FAILED_CODE, "job failed without a message"))}


async def test_a_complete_job_with_unreadable_results_is_an_error(http: SalesforceHttp, mocked: Mock) -> None:
    mock_job(mocked, 1, missing=("successfulResults",))

    with pytest.raises(RequestRejectedError):
        await run(http, rows_for(["a"]))


async def test_a_result_naming_a_row_twice_is_refused(http: SalesforceHttp, mocked: Mock) -> None:
    mock_job(mocked, 1, successful=OK_HEADER + ok_rows(["a"]), failed=FAILED_HEADER + '"",X:y,a,synced\n')

    with pytest.raises(SalesforceProtocolError, match="two result rows"):
        await run(http, rows_for(["a", "b"]))


async def test_unprocessed_rows_are_reported_as_such(http: SalesforceHttp, mocked: Mock) -> None:
    mock_job(mocked, 1, successful=OK_HEADER + ok_rows(["a"]), unprocessed=UPLOAD_HEADER + "b,synced\n")

    report = await run(http, rows_for(["a", "b"]))

    assert report.outcomes["b"] == LISTED_UNPROCESSED
    assert report.unprocessed == 1


async def test_result_files_short_of_the_jobs_count_are_not_taken(http: SalesforceHttp, mocked: Mock) -> None:
    # The job wrote both rows; the successfulResults file lost one on the way.
    mock_job(mocked, 1, successful=OK_HEADER + ok_rows(["a"]), processed=2)

    with pytest.raises(SalesforceProtocolError, match=r"results list 1 processed rows .* processed 2"):
        await run(http, rows_for(["a", "b"]))


async def test_a_job_info_about_another_job_is_not_taken_for_this_one(
    http: SalesforceHttp, mocked: Mock
) -> None:
    mocked.post(f"{API}/jobs/ingest", payload=info(1, "Open"))
    mocked.put(job_url(1, "/batches"), status=201)
    mocked.patch(job_url(1), payload=info(1, "UploadComplete"))
    mocked.get(job_url(1), payload=info(2, "JobComplete", numberRecordsProcessed=1))
    mocked.patch(job_url(1), payload=info(1, "Aborted"))

    with pytest.raises(SalesforceProtocolError, match=f"the answer is about {job_id(2)}"):
        await run(http, rows_for(["a"]))
    assert not mocked.requests.get(("GET", URL(job_url(2, "/successfulResults/"))))
    assert state_changes(mocked, 1) == [{"state": "UploadComplete"}, {"state": "Aborted"}]


async def test_each_budgeted_upload_gets_its_own_job(http: SalesforceHttp, mocked: Mock) -> None:
    keys = [f"k{n}" for n in range(5)]
    for number, part in enumerate((keys[0:2], keys[2:4], keys[4:]), start=1):
        mock_job(mocked, number, successful=OK_HEADER + ok_rows(part))

    report = await run(http, rows_for(keys), max_upload_rows=2)

    assert [len(uploads(mocked, n)[0].splitlines()) - 1 for n in (1, 2, 3)] == [2, 2, 1]
    assert report.job_ids == [job_id(1), job_id(2), job_id(3)]
    assert report.updated == 5


async def test_rows_may_come_from_an_async_iterator(http: SalesforceHttp, mocked: Mock) -> None:
    async def produce() -> AsyncIterator[Row]:
        for key in ("a", "b"):
            await anyio.lowlevel.checkpoint()
            yield {EXT: key, "NetSuite_Status__c": None}

    mock_job(mocked, 1, successful=OK_HEADER + ok_rows(["a", "b"]))

    report = await run(http, produce())

    assert uploads(mocked, 1) == [f"{UPLOAD_HEADER}a,#N/A\nb,#N/A\n".encode()]
    assert report.total == 2


async def test_no_rows_means_no_job(http: SalesforceHttp, mocked: Mock) -> None:
    report = await run(http, iter([]))

    assert report.total == 0
    assert not mocked.requests


async def test_a_job_still_running_at_the_timeout_is_aborted_then_read(
    http: SalesforceHttp, mocked: Mock
) -> None:
    mock_job(
        mocked,
        1,
        polls=("InProgress",),
        successful=OK_HEADER + ok_rows(["a"]),
        unprocessed=UPLOAD_HEADER + "b,synced\n",
    )
    mocked.patch(job_url(1), payload=info(1, "Aborted"))

    report = await run(http, rows_for(["a", "b", "c"]), polling=Polling(0.001, 0.001, 0.0))

    assert state_changes(mocked, 1) == [{"state": "UploadComplete"}, {"state": "Aborted"}]
    assert report.outcomes["a"] == Succeeded(sf_id("a"), False)
    assert report.outcomes["b"] == LISTED_UNPROCESSED
    aborted = report.outcomes["c"]
    assert isinstance(aborted, Failed)
    assert aborted.error.code == JOB_ABORTED_CODE
    assert "aborted by bulk-o2c" in aborted.error.message


async def test_cancellation_aborts_the_running_job(http: SalesforceHttp, mocked: Mock) -> None:
    mock_job(mocked, 1, polls=())
    mocked.get(job_url(1), payload=info(1, "InProgress"), repeat=True)
    mocked.patch(job_url(1), payload=info(1, "Aborted"))

    with anyio.move_on_after(0.2) as scope:
        await run(http, rows_for(["a"]), polling=Polling(0.01, 0.01, 30.0))

    assert scope.cancelled_caught
    assert state_changes(mocked, 1) == [{"state": "UploadComplete"}, {"state": "Aborted"}]


async def test_a_refused_upload_aborts_the_job_and_raises(http: SalesforceHttp, mocked: Mock) -> None:
    mocked.post(f"{API}/jobs/ingest", payload=info(1, "Open"))
    mocked.put(job_url(1, "/batches"), status=400, payload=[{"errorCode": "INVALIDJOB", "message": "bad"}])
    mocked.patch(job_url(1), payload=info(1, "Aborted"))

    with pytest.raises(RequestRejectedError):
        await run(http, rows_for(["a"]))

    assert state_changes(mocked, 1) == [{"state": "Aborted"}]


async def test_a_refused_upload_complete_stands_when_the_job_is_not_closed(
    http: SalesforceHttp, mocked: Mock
) -> None:
    # Someone aborted the job while it was Open: the refusal is real, not a retry's echo.
    refusal = [
        {"errorCode": "INVALIDJOBSTATE", "message": "The job cannot go from Aborted to UploadComplete"}
    ]
    mocked.post(f"{API}/jobs/ingest", payload=info(1, "Open"))
    mocked.put(job_url(1, "/batches"), status=201)
    mocked.patch(job_url(1), status=400, payload=refusal)
    mocked.get(job_url(1), payload=info(1, "Aborted"))
    mocked.patch(job_url(1), payload=info(1, "Aborted"))

    with pytest.raises(RequestRejectedError, match="INVALIDJOBSTATE"):
        await run(http, rows_for(["a"]))


async def test_a_failed_delete_does_not_lose_the_outcomes(http: SalesforceHttp, mocked: Mock) -> None:
    mock_job(mocked, 1, successful=OK_HEADER + ok_rows(["a"]), delete_status=400)

    report = await run(http, rows_for(["a"]))

    assert report.outcomes == {"a": Succeeded(sf_id("a"), False)}


async def test_a_duplicate_external_id_is_refused_before_upload(http: SalesforceHttp, mocked: Mock) -> None:
    with pytest.raises(ValueError, match="appears twice"):
        await run(http, iter([{EXT: "a"}, {EXT: "a"}]))

    assert not mocked.requests
