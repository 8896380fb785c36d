from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp
import anyio
import orjson
import pytest
from aiohttp import web
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from bulk_o2c.errors import BodyTooLargeError
from bulk_o2c.protocol.salesforce.csv_stream import CsvHeaderMismatchError, RowCountMismatchError
from bulk_o2c.protocol.salesforce.errors import RequestRejectedError, SalesforceProtocolError
from bulk_o2c.protocol.salesforce.result_walk import ResultLoopError, ResultOverrunError, ShortReadError
from bulk_o2c.transport.body import BodyLimits
from bulk_o2c.transport.salesforce.bulk_query import (
    DEFAULT_JOB_ATTEMPTS,
    Page,
    QueryJobFailedError,
    QueryJobInternalError,
    QueryJobTimeoutError,
    Resume,
    extract,
)
from bulk_o2c.transport.salesforce.http import SalesforceHttp
from bulk_o2c.transport.salesforce.polling import Polling
from tests.support.loopback import serving
from tests.support.loopback_http import MIB, gzip_of_zeros

from .conftest import API, FakeTokens, quick_retry

JOB_ID = "750R0000000zlh9IAA"
JOB_URL = f"{API}/jobs/query/{JOB_ID}"
RESULTS = f"{JOB_URL}/results"
SOQL = "SELECT Id, Name, Account.Name FROM Contact"


def job(state: str, records: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "id": JOB_ID,
        "operation": "query",
        "object": "Contact",
        "state": state,
        "numberRecordsProcessed": records,
        "retries": 0,
        **extra,
    }


def page_body(*rows: str, header: str = '"Id","Name","Account.Name"') -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def csv_page(
    mocked: aioresponses, url: str, body: bytes, locator: str | None, count: int | None = None
) -> None:
    headers = {} if locator is None else {"Sforce-Locator": locator}
    if count is not None:
        headers["Sforce-NumberOfRecords"] = str(count)
    mocked.get(url, body=body, headers=headers, content_type="text/csv")


Pages = AbstractAsyncContextManager[AsyncIterator[Page]]


async def listed(pages: AsyncIterator[Page]) -> list[Page]:
    return [page async for page in pages]


async def collect(extraction: Pages) -> list[Page]:
    async with extraction as pages:
        return await listed(pages)


async def read_rows(extraction: Pages, into: list[list[str]]) -> None:
    """Read every page's rows, as a caller staging each page in one transaction does."""
    async with extraction as pages:
        async for page in pages:
            into.append([row[0] for row in page.rows])  # noqa: PERF401 - keeps what came before a raise


def requests_to(mocked: aioresponses, method: str, url: str) -> list[Any]:
    return mocked.requests.get((method, URL(url)), [])


def three_pages(mocked: aioresponses) -> None:
    csv_page(
        mocked, f"{RESULTS}?maxRecords=2", page_body('"003A","Ann","Acme, Inc"', '"003B","Bob",""'), "L2", 2
    )
    csv_page(
        mocked,
        f"{RESULTS}?maxRecords=2&locator=L2",
        page_body('"003C","Cy","line\nbreak"', '"003D","Di","x"'),
        "L3",
        2,
    )
    csv_page(mocked, f"{RESULTS}?maxRecords=2&locator=L3", page_body('"003E","Ed","y"'), "null", 1)


async def test_sequential_extraction(http: SalesforceHttp, mocked: aioresponses) -> None:
    mocked.post(f"{API}/jobs/query", payload=job("UploadComplete"))
    mocked.get(JOB_URL, payload=job("InProgress"))
    mocked.get(JOB_URL, payload=job("JobComplete", 5))
    three_pages(mocked)
    mocked.delete(JOB_URL, status=204)

    pages = await collect(
        extract(
            http,
            SOQL,
            operation="queryAll",
            page_size=2,
            polling=Polling(0.001, 0.002, 10),
            parallel_pages=False,
        )
    )

    create = orjson.loads(requests_to(mocked, "POST", f"{API}/jobs/query")[0].kwargs["data"])
    assert create == {
        "operation": "queryAll",
        "query": SOQL,
        "contentType": "CSV",
        "columnDelimiter": "COMMA",
        "lineEnding": "LF",
    }
    assert [(p.locator, p.next_locator, p.rows_before) for p in pages] == [
        (None, "L2", 0),
        ("L2", "L3", 2),
        ("L3", None, 4),
    ]
    assert all(p.job_id == JOB_ID and p.header == ("Id", "Name", "Account.Name") for p in pages)
    assert pages[0].rows == [["003A", "Ann", "Acme, Inc"], ["003B", "Bob", ""]]
    assert pages[1].rows[0] == ["003C", "Cy", "line\nbreak"]
    assert len(requests_to(mocked, "GET", JOB_URL)) == 2
    assert len(requests_to(mocked, "DELETE", JOB_URL)) == 1


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (job("Failed", errorMessage="InvalidBatch : Field name not found : Nme"), "Field name not found"),
        (job("Failed"), "no errorMessage"),
        (job("Failed", errorMessage=""), "no errorMessage"),
        (job("Aborted"), "aborted"),
    ],
)
async def test_failed_or_aborted_job(
    http: SalesforceHttp, mocked: aioresponses, info: dict[str, Any], expected: str
) -> None:
    mocked.post(f"{API}/jobs/query", payload=job("UploadComplete"))
    mocked.get(JOB_URL, payload=info)
    mocked.delete(JOB_URL, status=204)
    with pytest.raises(QueryJobFailedError, match=expected):
        await collect(extract(http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 10)))
    assert not requests_to(mocked, "GET", RESULTS)
    assert len(requests_to(mocked, "DELETE", JOB_URL)) == 1


async def test_a_job_info_about_another_job_is_not_taken_for_this_one(
    http: SalesforceHttp, mocked: aioresponses
) -> None:
    mocked.post(f"{API}/jobs/query", payload=job("UploadComplete"))
    mocked.get(JOB_URL, payload={**job("JobComplete", 5), "id": "750R0000000ZZZZ"})
    mocked.patch(JOB_URL, payload=job("Aborted"))
    mocked.delete(JOB_URL, status=204)
    with pytest.raises(SalesforceProtocolError, match="the answer is about 750R0000000ZZZZ"):
        await collect(extract(http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 10)))
    assert not requests_to(mocked, "GET", RESULTS)


async def test_row_count_mismatch_is_an_error(http: SalesforceHttp, mocked: aioresponses) -> None:
    mocked.post(f"{API}/jobs/query", payload=job("JobComplete", 6))
    three_pages(mocked)
    with pytest.raises(RowCountMismatchError, match="read 5 rows but the job processed 6"):
        await collect(
            extract(http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 10), parallel_pages=False)
        )
    assert not requests_to(mocked, "DELETE", JOB_URL)


async def test_a_short_last_page_fails_while_it_is_read_before_the_end_can_be_committed(
    http: SalesforceHttp, mocked: aioresponses
) -> None:
    mocked.post(f"{API}/jobs/query", payload=job("JobComplete", 6))
    three_pages(mocked)  # 5 rows, each page agreeing with its own Sforce-NumberOfRecords
    pages = extract(http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 10), parallel_pages=False)
    read: list[list[str]] = []
    with pytest.raises(ShortReadError, match="read 5 rows but the job processed 6") as caught:
        await read_rows(pages, read)
    assert caught.value.job_id == JOB_ID
    # The last page (the end) raised inside its read: a caller's transaction rolls it back.
    assert read == [["003A", "003B"], ["003C", "003D"]]
    assert not requests_to(mocked, "DELETE", JOB_URL)


async def test_a_repeated_locator_is_a_loop_not_more_rows(http: SalesforceHttp, mocked: aioresponses) -> None:
    mocked.post(f"{API}/jobs/query", payload=job("JobComplete", 200))
    csv_page(mocked, f"{RESULTS}?maxRecords=2", page_body('"1","a","b"', '"2","a","b"'), "L2", 2)
    # The second page names itself as the next one: followed, it would come round forever.
    csv_page(mocked, f"{RESULTS}?maxRecords=2&locator=L2", page_body('"3","a","b"', '"4","a","b"'), "L2", 2)
    csv_page(mocked, f"{RESULTS}?maxRecords=2&locator=L2", page_body('"3","a","b"', '"4","a","b"'), "L2", 2)
    read: list[list[str]] = []
    pages = extract(http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 10), parallel_pages=False)
    with anyio.fail_after(5), pytest.raises(ResultLoopError, match="locator 'L2' came back after 4 rows"):
        await read_rows(pages, read)
    assert read == [["1", "2"], ["3", "4"]]
    fetched = [
        call for key, calls in mocked.requests.items() if key[1].path.endswith("/results") for call in calls
    ]
    assert len(fetched) == 2  # the first page and L2, once


async def test_a_repeated_next_records_url_is_a_loop(http: SalesforceHttp, mocked: aioresponses) -> None:
    path = f"/services/data/v62.0/jobs/query/{JOB_ID}"
    mocked.post(f"{API}/jobs/query", payload=job("JobComplete", 200))
    mocked.get(
        f"{JOB_URL}/resultPages?maxRecords=2",
        payload={
            "resultPages": [{"resultUrl": f"{path}/results"}],
            "nextRecordsUrl": f"{path}/resultPages?locator=N2",
        },
    )
    # The continuation names itself (and lists no page): a walk that trusts it never ends.
    mocked.get(
        f"{JOB_URL}/resultPages?locator=N2&maxRecords=2",
        payload={"resultPages": [], "nextRecordsUrl": f"{path}/resultPages?locator=N2", "done": False},
        repeat=True,
    )
    csv_page(mocked, RESULTS, page_body('"1","a","b"'), None)
    with anyio.fail_after(5), pytest.raises(ResultLoopError, match="resultPages listing"):
        await collect(extract(http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 10)))
    assert len(requests_to(mocked, "GET", f"{JOB_URL}/resultPages?locator=N2&maxRecords=2")) == 1


async def test_rows_past_the_jobs_count_are_refused_as_they_are_read(
    http: SalesforceHttp, mocked: aioresponses
) -> None:
    mocked.post(f"{API}/jobs/query", payload=job("JobComplete", 3))
    three_pages(mocked)
    read: list[list[str]] = []
    pages = extract(http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 10), parallel_pages=False)
    with pytest.raises(ResultOverrunError, match="more rows \\(4 so far\\) than the 3 the job processed"):
        await read_rows(pages, read)
    assert read == [["003A", "003B"]]  # the second page raised inside its read: a transaction rolls it back


INTERNAL_ERROR = (
    "Unexpected exception encountered in query processing. Please contact support with the following id: 1-2"
)


async def test_a_job_failed_by_an_internal_error_is_created_again(
    http: SalesforceHttp, mocked: aioresponses
) -> None:
    second = "750R0000000zlhAIAQ"
    mocked.post(f"{API}/jobs/query", payload=job("UploadComplete"))
    mocked.get(JOB_URL, payload=job("Failed", errorMessage=INTERNAL_ERROR))
    mocked.delete(JOB_URL, status=204)
    mocked.post(f"{API}/jobs/query", payload={**job("JobComplete", 1), "id": second})
    csv_page(mocked, f"{API}/jobs/query/{second}/results?maxRecords=2", page_body('"1","a","b"'), "null", 1)
    mocked.delete(f"{API}/jobs/query/{second}", status=204)
    pages = await collect(
        extract(http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 10), parallel_pages=False)
    )
    assert [(p.job_id, p.rows[0][0]) for p in pages] == [(second, "1")]
    assert len(requests_to(mocked, "POST", f"{API}/jobs/query")) == 2
    assert len(requests_to(mocked, "DELETE", JOB_URL)) == 1  # the failed job is cleaned up


async def test_internal_errors_give_up_after_the_bound(http: SalesforceHttp, mocked: aioresponses) -> None:
    mocked.post(f"{API}/jobs/query", payload=job("Failed", errorMessage=INTERNAL_ERROR), repeat=True)
    mocked.delete(JOB_URL, status=204, repeat=True)
    with pytest.raises(
        QueryJobInternalError, match=f"gave up after {DEFAULT_JOB_ATTEMPTS} query jobs failed so"
    ):
        await collect(extract(http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 10)))
    assert len(requests_to(mocked, "POST", f"{API}/jobs/query")) == DEFAULT_JOB_ATTEMPTS
    assert len(requests_to(mocked, "DELETE", JOB_URL)) == DEFAULT_JOB_ATTEMPTS


async def test_page_count_header_mismatch_is_an_error(http: SalesforceHttp, mocked: aioresponses) -> None:
    mocked.post(f"{API}/jobs/query", payload=job("JobComplete", 3))
    csv_page(mocked, f"{RESULTS}?maxRecords=5", page_body('"1","a","b"'), "null", 3)
    with pytest.raises(RowCountMismatchError, match="announced 3 rows but held 1"):
        await collect(
            extract(http, SOQL, page_size=5, polling=Polling(0.001, 0.002, 10), parallel_pages=False)
        )


async def test_missing_locator_header_is_not_the_end(http: SalesforceHttp, mocked: aioresponses) -> None:
    mocked.post(f"{API}/jobs/query", payload=job("JobComplete", 1))
    csv_page(mocked, f"{RESULTS}?maxRecords=5", page_body('"1","a","b"'), None)
    with pytest.raises(SalesforceProtocolError, match="Sforce-Locator"):
        await collect(
            extract(http, SOQL, page_size=5, polling=Polling(0.001, 0.002, 10), parallel_pages=False)
        )


async def test_header_change_between_pages_is_an_error(http: SalesforceHttp, mocked: aioresponses) -> None:
    mocked.post(f"{API}/jobs/query", payload=job("JobComplete", 2))
    csv_page(mocked, f"{RESULTS}?maxRecords=1", page_body('"1","a","b"'), "L2")
    csv_page(mocked, f"{RESULTS}?maxRecords=1&locator=L2", page_body('"2","b"', header='"Id","Name"'), "null")
    with pytest.raises(CsvHeaderMismatchError, match="first page had"):
        await collect(
            extract(http, SOQL, page_size=1, polling=Polling(0.001, 0.002, 10), parallel_pages=False)
        )


async def test_empty_result(http: SalesforceHttp, mocked: aioresponses) -> None:
    mocked.post(f"{API}/jobs/query", payload=job("JobComplete", 0))
    csv_page(mocked, f"{RESULTS}?maxRecords=5", page_body(), "null", 0)
    mocked.delete(JOB_URL, status=204)
    pages = await collect(
        extract(http, SOQL, page_size=5, polling=Polling(0.001, 0.002, 10), parallel_pages=False)
    )
    assert [(list(p.rows), p.header) for p in pages] == [([], ("Id", "Name", "Account.Name"))]


async def test_result_pages_documented_shape(http: SalesforceHttp, mocked: aioresponses) -> None:
    path = f"/services/data/v62.0/jobs/query/{JOB_ID}"
    mocked.post(f"{API}/jobs/query", payload=job("JobComplete", 5))
    mocked.get(
        f"{JOB_URL}/resultPages?maxRecords=2",
        payload={
            "resultPages": [{"resultUrl": f"{path}/results"}, {"resultUrl": f"{path}/results?locator=P2"}],
            "nextRecordsUrl": f"{path}/resultPages?locator=N2",
            "done": False,
        },
    )
    mocked.get(
        f"{JOB_URL}/resultPages?locator=N2&maxRecords=2",
        payload={
            "resultPages": [{"resultUrl": f"{path}/results?locator=P3"}],
            "nextRecordsUrl": None,
            "done": True,
        },
    )
    csv_page(mocked, RESULTS, page_body('"1","a","b"', '"2","a","b"'), "ignored")
    csv_page(mocked, f"{RESULTS}?locator=P2", page_body('"3","a","b"', '"4","a","b"'), "ignored")
    csv_page(mocked, f"{RESULTS}?locator=P3", page_body('"5","a","b"'), "ignored")
    mocked.delete(JOB_URL, status=204)

    pages = await collect(extract(http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 10), max_parallel=2))

    assert [(p.locator, p.next_locator) for p in pages] == [(None, "P2"), ("P2", "P3"), ("P3", None)]
    assert [row[0] for p in pages for row in p.rows] == ["1", "2", "3", "4", "5"]
    assert len(requests_to(mocked, "DELETE", JOB_URL)) == 1


async def test_result_pages_live_shape(http: SalesforceHttp, mocked: aioresponses) -> None:
    mocked.post(f"{API}/jobs/query", payload=job("JobComplete", 2))
    mocked.get(
        f"{JOB_URL}/resultPages?maxRecords=2",
        payload={
            "resultChunks": [
                {"resultLink": f"jobs/query/{JOB_ID}/results"},
                {"resultLink": f"jobs/query/{JOB_ID}/results?locator=Q2"},
            ],
            "nextRecordsUrl": None,
        },
    )
    csv_page(mocked, RESULTS, page_body('"1","a","b"'), None)
    csv_page(mocked, f"{RESULTS}?locator=Q2", page_body('"2","a","b"'), None)
    mocked.delete(JOB_URL, status=204)
    pages = await collect(extract(http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 10)))
    assert [row[0] for p in pages for row in p.rows] == ["1", "2"]
    assert pages[0].next_locator == "Q2"


async def test_result_page_without_a_locator_later_on_is_refused(
    http: SalesforceHttp, mocked: aioresponses
) -> None:
    mocked.post(f"{API}/jobs/query", payload=job("JobComplete", 2))
    mocked.get(
        f"{JOB_URL}/resultPages?maxRecords=2",
        payload={
            "resultPages": [{"resultUrl": f"jobs/query/{JOB_ID}/results"}],
            "nextRecordsUrl": f"jobs/query/{JOB_ID}/resultPages?locator=N2",
            "done": False,
        },
    )
    mocked.get(
        f"{JOB_URL}/resultPages?locator=N2&maxRecords=2",
        payload={"resultPages": [{"resultUrl": f"jobs/query/{JOB_ID}/results?page=2"}], "done": True},
    )
    csv_page(mocked, RESULTS, page_body('"1","a","b"'), None)
    csv_page(mocked, f"{RESULTS}?page=2", page_body('"2","a","b"'), None)
    with pytest.raises(SalesforceProtocolError, match="no locator"):
        await collect(extract(http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 10)))


@pytest.mark.parametrize("status", [404, 400])
async def test_result_pages_unsupported_falls_back_to_locators(
    http: SalesforceHttp, mocked: aioresponses, status: int
) -> None:
    mocked.post(f"{API}/jobs/query", payload=job("JobComplete", 5))
    mocked.get(
        f"{JOB_URL}/resultPages?maxRecords=2",
        status=status,
        body=orjson.dumps([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]),
    )
    three_pages(mocked)
    mocked.delete(JOB_URL, status=204)
    pages = await collect(extract(http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 10)))
    assert sum(len(p.rows) for p in pages) == 5


async def test_old_api_version_pages_by_locator(
    session: aiohttp.ClientSession, mocked: aioresponses, fake_tokens: FakeTokens
) -> None:
    http = SalesforceHttp(session, fake_tokens.manager(), api_version="57.0", retry=quick_retry())
    url = "https://acme.my.salesforce.com/services/data/v57.0/jobs/query"
    mocked.post(url, payload=job("JobComplete", 1))
    csv_page(mocked, f"{url}/{JOB_ID}/results?maxRecords=2", page_body('"1","a","b"'), "null")
    mocked.delete(f"{url}/{JOB_ID}", status=204)
    pages = await collect(extract(http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 10)))
    assert len(pages) == 1
    assert not requests_to(mocked, "GET", f"{url}/{JOB_ID}/resultPages")


async def test_resume_from_a_locator(http: SalesforceHttp, mocked: aioresponses) -> None:
    mocked.get(JOB_URL, payload=job("JobComplete", 5))
    csv_page(mocked, f"{RESULTS}?maxRecords=2&locator=L3", page_body('"003E","Ed","y"'), "null", 1)
    mocked.delete(JOB_URL, status=204)
    pages = await collect(
        extract(http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 10), resume=Resume(JOB_ID, "L3", 4))
    )
    assert [(p.locator, p.next_locator, p.rows_before) for p in pages] == [("L3", None, 4)]
    assert not requests_to(mocked, "POST", f"{API}/jobs/query")
    assert len(requests_to(mocked, "DELETE", JOB_URL)) == 1


async def test_resume_with_a_wrong_count_is_caught(http: SalesforceHttp, mocked: aioresponses) -> None:
    mocked.get(JOB_URL, payload=job("JobComplete", 5))
    csv_page(mocked, f"{RESULTS}?maxRecords=2&locator=L3", page_body('"003E","Ed","y"'), "null", 1)
    with pytest.raises(RowCountMismatchError):
        await collect(
            extract(
                http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 10), resume=Resume(JOB_ID, "L3", 2)
            )
        )


async def test_resume_without_a_count_skips_the_total_check(
    http: SalesforceHttp, mocked: aioresponses
) -> None:
    mocked.get(JOB_URL, payload=job("JobComplete", 5))
    csv_page(mocked, f"{RESULTS}?maxRecords=2&locator=L3", page_body('"003E","Ed","y"'), "null", 1)
    mocked.delete(JOB_URL, status=204)
    pages = await collect(
        extract(http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 10), resume=(JOB_ID, "L3"))
    )
    assert [(p.locator, p.rows_before) for p in pages] == [("L3", 0)]


async def test_consumer_leaving_early_keeps_the_job(http: SalesforceHttp, mocked: aioresponses) -> None:
    mocked.post(f"{API}/jobs/query", payload=job("JobComplete", 5))
    three_pages(mocked)
    async with extract(
        http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 10), parallel_pages=False
    ) as pages:
        first = await anext(pages)
    assert first.next_locator == "L2"
    assert not requests_to(mocked, "DELETE", JOB_URL)
    assert not requests_to(mocked, "PATCH", JOB_URL)


async def test_cancellation_aborts_the_running_job(http: SalesforceHttp, mocked: aioresponses) -> None:
    mocked.post(f"{API}/jobs/query", payload=job("UploadComplete"))
    polled = asyncio.Event()

    def in_progress(url: URL, **kwargs: Any) -> CallbackResult:
        if len(requests_to(mocked, "GET", JOB_URL)) >= 3:
            polled.set()
        return CallbackResult(body=orjson.dumps(job("InProgress")))

    mocked.get(JOB_URL, callback=in_progress, repeat=True)
    mocked.patch(JOB_URL, payload=job("Aborted"))
    mocked.delete(JOB_URL, status=204)
    task = asyncio.create_task(collect(extract(http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 60))))
    await polled.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    patches = requests_to(mocked, "PATCH", JOB_URL)
    assert [orjson.loads(p.kwargs["data"]) for p in patches] == [{"state": "Aborted"}]
    assert len(requests_to(mocked, "DELETE", JOB_URL)) == 1


async def test_poll_timeout_aborts(http: SalesforceHttp, mocked: aioresponses) -> None:
    mocked.post(f"{API}/jobs/query", payload=job("UploadComplete"))
    mocked.get(JOB_URL, payload=job("InProgress"), repeat=True)
    mocked.patch(JOB_URL, payload=job("Aborted"))
    mocked.delete(JOB_URL, status=204)
    with pytest.raises(QueryJobTimeoutError, match="aborted"):
        await collect(extract(http, SOQL, page_size=2, polling=Polling(0.001, 0.002, 0.05)))
    assert len(requests_to(mocked, "PATCH", JOB_URL)) == 1


# --- against a real loopback server: gzip and a connection cut half-way through a page ---------

ROWS = [f'"{i:06d}","name {i} é","Acme ""{i}"", Inc"' for i in range(3000)]
BODY = page_body(*ROWS)


def _app(*, cut_first: bool, state: dict[str, int] | None = None) -> web.Application:
    state = state if state is not None else {"results_calls": 0, "gzipped": 0}

    async def create(request: web.Request) -> web.Response:
        return web.json_response(job("JobComplete", len(ROWS)))

    async def results(request: web.Request) -> web.StreamResponse:
        state["results_calls"] += 1
        assert request.query["maxRecords"] == "5000"
        headers = {
            "Sforce-Locator": "null",
            "Sforce-NumberOfRecords": str(len(ROWS)),
            "Content-Type": "text/csv",
        }
        if cut_first and state["results_calls"] == 1:
            resp = web.StreamResponse(headers={**headers, "Content-Length": str(len(BODY))})
            await resp.prepare(request)
            await resp.write(BODY[: len(BODY) // 2])
            assert request.transport is not None
            request.transport.close()
            return resp
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            state["gzipped"] += 1
            return web.Response(body=gzip.compress(BODY), headers={**headers, "Content-Encoding": "gzip"})
        return web.Response(body=BODY, headers=headers)

    async def delete(request: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/services/data/v62.0/jobs/query", create)
    app.router.add_get(f"/services/data/v62.0/jobs/query/{JOB_ID}/results", results)
    app.router.add_delete(f"/services/data/v62.0/jobs/query/{JOB_ID}", delete)
    return app


async def _run_against(
    app: web.Application,
    *,
    parallel_pages: bool = False,
    accept_gzip: bool = True,
    consume: Callable[[AsyncIterator[Page]], Awaitable[list[Page]]] = listed,
) -> list[Page]:
    runner = web.AppRunner(app, handler_cancellation=True)  # a request the client gave up ends
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as session:
            tokens = FakeTokens(instance_url=f"http://127.0.0.1:{port}")
            http = SalesforceHttp(
                session, tokens.manager(), api_version="62.0", retry=quick_retry(), accept_gzip=accept_gzip
            )
            async with extract(
                http, SOQL, page_size=5000, polling=Polling(0.001, 0.002, 10), parallel_pages=parallel_pages
            ) as pages:
                return await consume(pages)
    finally:
        await runner.cleanup()


async def test_parallel_pages_download_together_and_arrive_in_order() -> None:
    started: list[str] = []
    all_started = asyncio.Event()

    async def listing(request: web.Request) -> web.Response:
        links = [
            {"resultUrl": f"/services/data/v62.0/jobs/query/{JOB_ID}/results?locator=P{i}"} for i in (1, 2, 3)
        ]
        return web.json_response({"resultPages": links, "nextRecordsUrl": None, "done": True})

    async def results(request: web.Request) -> web.Response:
        locator = request.query["locator"]
        started.append(locator)
        if len(started) == 3:
            all_started.set()
        if locator == "P1":
            await all_started.wait()  # page 1 finishes only once the others were asked for
        return web.Response(body=page_body(f'"{locator}","a","b"'), headers={"Sforce-Locator": "null"})

    async def create(request: web.Request) -> web.Response:
        return web.json_response(job("JobComplete", 3))

    async def delete(request: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/services/data/v62.0/jobs/query", create)
    app.router.add_get(f"/services/data/v62.0/jobs/query/{JOB_ID}/resultPages", listing)
    app.router.add_get(f"/services/data/v62.0/jobs/query/{JOB_ID}/results", results)
    app.router.add_delete(f"/services/data/v62.0/jobs/query/{JOB_ID}", delete)
    pages = await _run_against(app, parallel_pages=True)
    assert [p.rows[0][0] for p in pages] == ["P1", "P2", "P3"]
    assert sorted(started) == ["P1", "P2", "P3"]
    assert [(p.locator, p.next_locator) for p in pages] == [("P1", "P2"), ("P2", "P3"), ("P3", None)]


async def test_downloaded_pages_are_yielded_while_the_next_listing_is_still_coming() -> None:
    two_pages_out = asyncio.Event()

    async def listing(request: web.Request) -> web.Response:
        def link(n: int) -> dict[str, str]:
            return {"resultUrl": f"/services/data/v62.0/jobs/query/{JOB_ID}/results?locator=P{n}"}

        if "locator" not in request.query:
            following = f"/services/data/v62.0/jobs/query/{JOB_ID}/resultPages?locator=P4"
            links = [link(1), link(2), link(3)]
            return web.json_response({"resultPages": links, "nextRecordsUrl": following, "done": False})
        # Answered only once page 2 reached the caller: holding page 2 back for it would hang.
        await asyncio.wait_for(two_pages_out.wait(), 5)
        return web.json_response({"resultPages": [link(4)], "nextRecordsUrl": None, "done": True})

    async def results(request: web.Request) -> web.Response:
        locator = request.query["locator"]
        return web.Response(body=page_body(f'"{locator}","a","b"'), headers={"Sforce-Locator": "null"})

    async def create(request: web.Request) -> web.Response:
        return web.json_response(job("JobComplete", 4))

    async def delete(request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def consume(pages: AsyncIterator[Page]) -> list[Page]:
        got = []
        async for page in pages:
            got.append(page)
            if len(got) == 2:
                two_pages_out.set()
        return got

    app = web.Application()
    app.router.add_post("/services/data/v62.0/jobs/query", create)
    app.router.add_get(f"/services/data/v62.0/jobs/query/{JOB_ID}/resultPages", listing)
    app.router.add_get(f"/services/data/v62.0/jobs/query/{JOB_ID}/results", results)
    app.router.add_delete(f"/services/data/v62.0/jobs/query/{JOB_ID}", delete)
    pages = await _run_against(app, parallel_pages=True, consume=consume)
    resume_points = [(p.locator, p.next_locator) for p in pages]
    assert resume_points == [("P1", "P2"), ("P2", "P3"), ("P3", "P4"), ("P4", None)]


def _three_links_app(results: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.Application:
    async def listing(request: web.Request) -> web.Response:
        links = [
            {"resultUrl": f"/services/data/v62.0/jobs/query/{JOB_ID}/results?locator=P{i}"} for i in (1, 2, 3)
        ]
        return web.json_response({"resultPages": links, "nextRecordsUrl": None, "done": True})

    async def create(request: web.Request) -> web.Response:
        return web.json_response(job("JobComplete", 3))

    app = web.Application()
    app.router.add_post("/services/data/v62.0/jobs/query", create)
    app.router.add_get(f"/services/data/v62.0/jobs/query/{JOB_ID}/resultPages", listing)
    app.router.add_get(f"/services/data/v62.0/jobs/query/{JOB_ID}/results", results)
    return app


async def test_a_page_failing_while_the_one_before_is_read_fails_in_its_turn_as_itself() -> None:
    failed = asyncio.Event()

    async def results(request: web.Request) -> web.Response:
        locator = request.query["locator"]
        if locator == "P2":
            failed.set()
            return web.json_response(
                [{"errorCode": "INVALID_LOCATOR", "message": "no such page"}], status=400
            )
        return web.Response(body=page_body(f'"{locator}","a","b"'), headers={"Sforce-Locator": "null"})

    read: list[str] = []

    async def consume(pages: AsyncIterator[Page]) -> list[Page]:
        async for page in pages:
            read.append(page.rows[0][0])
            await failed.wait()
            await anyio.sleep(0.05)  # page 2's download fails meanwhile; page 1's caller goes on
            read.append("P1 done")
        return []

    with anyio.fail_after(10), pytest.raises(RequestRejectedError, match="no such page"):
        await _run_against(_three_links_app(results), parallel_pages=True, consume=consume)
    assert read == ["P1", "P1 done"]


async def test_leaving_the_block_cancels_the_pages_still_downloading() -> None:
    cancelled = asyncio.Event()

    async def results(request: web.Request) -> web.Response:
        locator = request.query["locator"]
        if locator != "P1":
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:  # the client hung up
                cancelled.set()
                raise
        return web.Response(body=page_body(f'"{locator}","a","b"'), headers={"Sforce-Locator": "null"})

    async def first(pages: AsyncIterator[Page]) -> list[Page]:
        return [await anext(pages)]

    with anyio.fail_after(10):
        pages = await _run_against(_three_links_app(results), parallel_pages=True, consume=first)
        await cancelled.wait()
    assert [p.rows[0][0] for p in pages] == ["P1"]


@pytest.mark.parametrize("accept_gzip", [True, False])
async def test_gzip_on_and_off(accept_gzip: bool) -> None:
    state = {"results_calls": 0, "gzipped": 0}
    pages = await _run_against(_app(cut_first=False, state=state), accept_gzip=accept_gzip)
    assert state["gzipped"] == int(accept_gzip)
    assert len(pages[0].rows) == 3000
    assert pages[0].rows[7] == ["000007", "name 7 é", 'Acme "7", Inc']


async def test_connection_cut_mid_page_refetches_the_same_locator() -> None:
    state = {"results_calls": 0, "gzipped": 0}
    pages = await _run_against(_app(cut_first=True, state=state), accept_gzip=False)
    assert state["results_calls"] == 2
    assert len(pages) == 1
    assert len(pages[0].rows) == 3000


async def test_a_page_in_an_encoding_other_than_gzip_is_refused() -> None:
    async def create(request: web.Request) -> web.Response:
        return web.json_response(job("JobComplete", 1))

    async def results(request: web.Request) -> web.Response:
        return web.Response(body=b"\x00\x01", headers={"Content-Encoding": "br", "Sforce-Locator": "null"})

    app = web.Application()
    app.router.add_post("/services/data/v62.0/jobs/query", create)
    app.router.add_get(f"/services/data/v62.0/jobs/query/{JOB_ID}/results", results)
    with pytest.raises(SalesforceProtocolError, match="came in 'br', not gzip or identity"):
        await _run_against(app)


async def test_a_gzip_page_over_the_body_bound_stops_the_extraction_with_the_job_kept() -> None:
    calls: list[str] = []

    async def create(request: web.Request) -> web.Response:
        return web.json_response(job("JobComplete", 1))

    async def results(request: web.Request) -> web.Response:
        calls.append("results")
        headers = {"Content-Encoding": "gzip", "Sforce-Locator": "null", "Content-Type": "text/csv"}
        return web.Response(body=gzip_of_zeros(8 * MIB), headers=headers)

    async def delete(request: web.Request) -> web.Response:
        calls.append("delete")
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/services/data/v62.0/jobs/query", create)
    app.router.add_get(f"/services/data/v62.0/jobs/query/{JOB_ID}/results", results)
    app.router.add_delete(f"/services/data/v62.0/jobs/query/{JOB_ID}", delete)
    async with serving(app) as base, aiohttp.ClientSession() as session:
        http = SalesforceHttp(
            session,
            FakeTokens(instance_url=base).manager(),
            api_version="62.0",
            retry=quick_retry(2),
            limits=BodyLimits(MIB),
        )
        pages = extract(http, SOQL, page_size=5000, polling=Polling(0.001, 0.002, 10), parallel_pages=False)
        with pytest.raises(BodyTooLargeError):
            await collect(pages)
    # Retried, then left for resume: nothing was yielded to stage and the job is still there.
    assert calls == ["results", "results"]
