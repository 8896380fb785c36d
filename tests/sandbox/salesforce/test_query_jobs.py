import csv
import gzip
import io
from typing import Any

import aiohttp
import pytest

from bulk_o2c.sandbox.salesforce import Fault
from bulk_o2c.sandbox.salesforce.dataset import Dataset, Row
from bulk_o2c.sandbox.salesforce.faults import FaultPlan
from bulk_o2c.sandbox.salesforce.org_shape import OrgShape
from bulk_o2c.sandbox.salesforce.schema import ACCOUNT
from tests.sandbox.salesforce.conftest import SMALL_DATASET, Org, StartOrg

# Every field the default org shape shows.
ACCOUNT_FIELDS = OrgShape().objects()[ACCOUNT.name].fields
ACCOUNT_SOQL = "SELECT " + ", ".join(ACCOUNT_FIELDS) + " FROM Account"  # noqa: S608 - SOQL under test


def expected(
    dataset: Dataset, sobject: str, fields: list[str], rows: list[Row] | None = None
) -> list[list[str]]:
    rows = rows if rows is not None else [dataset.row(sobject, s) for s in range(dataset.slot_count(sobject))]
    return [[row[f] or "" for f in fields] for row in rows]


def quote_all(rows: list[list[str]], delimiter: str = ",", line_ending: str = "\n") -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator=line_ending).writerows(rows)
    return buffer.getvalue()


async def completed_query(org: Org, soql: str, **options: str) -> dict[str, Any]:
    job = await org.create_query(soql, **options)
    info = await org.wait("query", job["id"])
    assert info["state"] == "JobComplete"
    return info


async def test_job_walks_its_states_one_poll_each(org: Org) -> None:
    job = await org.create_query("SELECT Id FROM Account")
    assert job["state"] == "UploadComplete"
    assert job["id"].startswith("750")
    assert (job["jobType"], job["operation"], job["object"]) == ("V2Query", "query", "Account")
    states = [(await org.call("GET", f"/jobs/query/{job['id']}"))[1]["state"] for _ in range(3)]
    assert states == ["InProgress", "JobComplete", "JobComplete"]
    info = (await org.call("GET", f"/jobs/query/{job['id']}"))[1]
    assert info["numberRecordsProcessed"] == SMALL_DATASET.n_accounts


async def test_paging_returns_every_row_once_in_complete_quoted_pages(org: Org) -> None:
    info = await completed_query(org, ACCOUNT_SOQL)
    pages = await org.all_pages(info["id"], max_records=70)
    assert [p.headers["Sforce-Locator"] == "null" for p in pages] == [False] * 4 + [True]
    assert len({p.headers["Sforce-Locator"] for p in pages}) == 5
    data: list[list[str]] = []
    for page in pages:
        header, *rows = page.rows
        assert header == list(ACCOUNT_FIELDS)
        assert int(page.headers["Sforce-NumberOfRecords"]) == len(rows)
        assert page.headers["Content-Type"] == "text/csv; charset=UTF-8"
        assert page.text == quote_all([header, *rows])  # every value quoted, quotes doubled
        data.extend(rows)
    assert len(data) == info["numberRecordsProcessed"] == SMALL_DATASET.n_accounts
    assert data == expected(org.sandbox.dataset, "Account", list(ACCOUNT_FIELDS))
    assert any("\x00" in value for row in data for value in row)
    assert org.sandbox.stats.pages_served == 5
    assert org.sandbox.stats.rows_served == SMALL_DATASET.n_accounts


async def test_a_window_selects_exactly_the_rows_modified_inside_it(org: Org) -> None:
    soql = (
        "SELECT Id, SystemModstamp FROM Order "
        "WHERE SystemModstamp >= 2024-03-01T00:00:00Z AND SystemModstamp < 2024-06-01T00:00:00.000+0000"
    )
    info = await completed_query(org, soql)
    rows = await org.rows(info["id"], max_records=25)
    dataset = org.sandbox.dataset
    low, high = 1_709_251_200_000, 1_717_200_000_000
    wanted = [
        dataset.order(s)
        for s in range(SMALL_DATASET.n_orders)
        if low <= dataset.modstamp_ms("Order", s) < high
    ]
    assert 0 < len(wanted) < SMALL_DATASET.n_orders
    assert rows == expected(dataset, "Order", ["Id", "SystemModstamp"], wanted)
    assert info["numberRecordsProcessed"] == len(wanted)


async def test_a_parent_window_selects_exactly_the_lines_of_the_orders_inside_it(org: Org) -> None:
    soql = (
        "SELECT Id, OrderId, SystemModstamp FROM OrderItem "
        "WHERE Order.SystemModstamp >= 2024-03-01T00:00:00Z AND Order.SystemModstamp < 2024-06-01T00:00:00Z"
    )
    info = await completed_query(org, soql)
    rows = await org.rows(info["id"], max_records=25)
    dataset = org.sandbox.dataset
    low, high = 1_709_251_200_000, 1_717_200_000_000
    orders = {
        dataset.record_id("Order", s)
        for s in range(SMALL_DATASET.n_orders)
        if low <= dataset.modstamp_ms("Order", s) < high
    }
    assert 0 < len(orders) < SMALL_DATASET.n_orders
    lines = [
        dataset.row("OrderItem", s)
        for s in range(dataset.slot_count("OrderItem"))
        if dataset.has_slot("OrderItem", s)
    ]
    wanted = [line for line in lines if line["OrderId"] in orders]
    assert rows == expected(dataset, "OrderItem", ["Id", "OrderId", "SystemModstamp"], wanted)
    assert info["numberRecordsProcessed"] == len(wanted)
    # The window is the order's: some lines were last modified before it opened.
    assert any(stamp < "2024-03-01" for _, _, stamp in rows)


async def test_gzip_only_when_asked(start_org: StartOrg) -> None:
    org = await start_org()
    info = await completed_query(org, ACCOUNT_SOQL)
    plain = await org.page(info["id"], max_records=100, encoding="identity")
    assert "Content-Encoding" not in plain.headers
    url = f"{org.api}/jobs/query/{info['id']}/results"
    async with (
        aiohttp.ClientSession(auto_decompress=False) as raw,
        raw.get(
            url, params={"maxRecords": "100"}, headers=org.auth(**{"Accept-Encoding": "gzip"})
        ) as response,
    ):
        assert response.headers["Content-Encoding"] == "gzip"
        body = await response.read()
    assert body[:2] == b"\x1f\x8b"
    assert gzip.decompress(body).decode("utf-8") == plain.text
    assert len(body) < len(plain.text.encode("utf-8")) / 2


@pytest.mark.parametrize("line_ending", ["LF", "CRLF"])
@pytest.mark.parametrize(
    ("name", "delimiter"),
    [("COMMA", ","), ("TAB", "\t"), ("PIPE", "|"), ("SEMICOLON", ";"), ("CARET", "^"), ("BACKQUOTE", "`")],
)
async def test_delimiters_and_line_endings(org: Org, name: str, delimiter: str, line_ending: str) -> None:
    fields = ["Id", "OrderNumber", "Description", "PoNumber", "TotalAmount"]
    soql = f"SELECT {', '.join(fields)} FROM Order"  # noqa: S608 - SOQL under test
    info = await completed_query(org, soql, columnDelimiter=name, lineEnding=line_ending)
    assert (info["columnDelimiter"], info["lineEnding"]) == (name, line_ending)
    page = (await org.all_pages(info["id"], max_records=1000))[0]
    ending = "\r\n" if line_ending == "CRLF" else "\n"
    assert page.text.startswith(delimiter.join(f'"{f}"' for f in fields) + ending)
    rows = list(csv.reader(io.StringIO(page.text, newline=""), delimiter=delimiter))
    assert rows[1:] == expected(org.sandbox.dataset, "Order", fields)
    # The data set's descriptions hold every delimiter, quotes and a line break.
    assert any(delimiter in row[2] and "\n" not in row[2] for row in rows[1:])
    assert any('"' in row[2] and "\n" in row[2] for row in rows[1:])


async def test_parent_fields_come_through_the_relationship(org: Org) -> None:
    info = await completed_query(org, "SELECT Id, Product2Id, Product2.ProductCode FROM OrderItem")
    rows = await org.rows(info["id"], max_records=200)
    dataset = org.sandbox.dataset
    assert len(rows) == dataset.count("OrderItem") == info["numberRecordsProcessed"]
    for item_id, product_id, code in rows:
        product_slot = dataset.slot_of("Product2", product_id)
        assert product_slot is not None
        assert dataset.slot_of("OrderItem", item_id) is not None
        assert code == dataset.product(product_slot)["ProductCode"]
    names = await completed_query(org, "SELECT Id, Account.Name FROM Order")
    first = (await org.page(names["id"], max_records=1)).rows
    account = dataset.account(dataset.slot_of("Account", dataset.order(0)["AccountId"] or "") or 0)
    assert first[0] == ["Id", "Account.Name"]
    assert first[1][1] == account["Name"]


@pytest.mark.parametrize("shape", ["doc", "live"])
async def test_result_pages_list_every_page(start_org: StartOrg, shape: str) -> None:
    org = await start_org(result_pages_shape=shape, result_pages_per_call=2)
    info = await completed_query(org, "SELECT Id FROM Account")
    links: list[str] = []
    url: str | None = f"{org.api}/jobs/query/{info['id']}/resultPages?maxRecords=40"
    while url is not None:
        async with org.http.get(url, headers=org.auth()) as response:
            assert response.status == 200
            listing = await response.json()
        entries = listing["resultPages"] if shape == "doc" else listing["resultChunks"]
        assert 1 <= len(entries) <= 2
        links += [entry["resultUrl"] if shape == "doc" else entry["resultLink"] for entry in entries]
        following = listing["nextRecordsUrl"]
        assert listing["done"] is (following is None)
        url = None if following is None else _resolve(org, following)
    assert len(links) == 8  # 300 rows / 40
    ids: list[str] = []
    for link in links:
        async with org.http.get(_resolve(org, link), headers=org.auth()) as response:
            ids += [row[0] for row in csv.reader(io.StringIO(await response.text(), newline=""))][1:]
    assert ids == [row[0] for row in expected(org.sandbox.dataset, "Account", ["Id"])]


def _resolve(org: Org, link: str) -> str:
    if link.startswith("/services/"):
        return org.sandbox.base_url + link
    return f"{org.api}/{link}"


async def test_result_pages_need_api_58(org: Org) -> None:
    info = await completed_query(org, "SELECT Id FROM Account")
    async with org.http.get(
        f"{org.sandbox.base_url}/services/data/v57.0/jobs/query/{info['id']}/resultPages", headers=org.auth()
    ) as response:
        assert response.status == 404


async def test_results_before_completion_are_refused(org: Org) -> None:
    job = await org.create_query("SELECT Id FROM Account")
    page = await org.page(job["id"])
    assert page.status == 412
    assert page.text.count("JOB_NOT_COMPLETE") == 1
    assert "Current status: UPLOAD_COMPLETE" in page.text


async def test_abort_and_delete_rules(org: Org) -> None:
    job = await org.create_query("SELECT Id FROM Account")
    path = f"/jobs/query/{job['id']}"
    status, body, _ = await org.call("DELETE", path)
    assert (status, body) == (
        400,
        [
            {
                "message": "Error encountered when deleting the job because the job is not terminated",
                "errorCode": "API_ERROR",
            }
        ],
    )
    status, body, _ = await org.call("PATCH", path, json={"state": "Aborted"})
    assert (status, body["state"]) == (200, "Aborted")
    assert (await org.call("PATCH", path, json={"state": "Aborted"}))[0] == 400
    assert (await org.call("GET", path))[1]["state"] == "Aborted"
    assert (await org.page(job["id"])).status == 412
    assert (await org.call("DELETE", path))[0] == 204
    assert (await org.call("GET", path))[0] == 404
    done = await completed_query(org, "SELECT Id FROM Account")
    assert (await org.call("DELETE", f"/jobs/query/{done['id']}"))[0] == 204
    assert org.sandbox.stats.jobs_deleted == 2


@pytest.mark.parametrize("with_message", [True, False])
async def test_a_share_of_jobs_fails(start_org: StartOrg, with_message: bool) -> None:
    org = await start_org(failed_query_share=1.0, failed_query_has_message=with_message)
    job = await org.create_query("SELECT Id FROM Account")
    info = await org.wait("query", job["id"])
    assert info["state"] == "Failed"
    assert ("errorMessage" in info) is with_message
    assert (await org.page(job["id"])).status == 412
    assert (await org.call("DELETE", f"/jobs/query/{job['id']}"))[0] == 204


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"operation": "query", "query": "SELECT Id FROM Account LIMIT 5"}, "MALFORMED_QUERY"),
        ({"operation": "query", "query": "SELECT Nope FROM Account"}, "INVALID_FIELD"),
        ({"operation": "query", "query": "SELECT Id FROM Lead"}, "INVALIDENTITY"),
        ({"operation": "delete", "query": "SELECT Id FROM Account"}, "INVALIDJOB"),
        ({"operation": "query", "query": "SELECT Id FROM Account", "columnDelimiter": "SPACE"}, "INVALIDJOB"),
        ({"operation": "query", "query": "SELECT Id FROM Account", "lineEnding": "CR"}, "INVALIDJOB"),
    ],
)
async def test_bad_job_requests(org: Org, body: dict[str, str], code: str) -> None:
    status, errors, _ = await org.call("POST", "/jobs/query", json=body)
    assert status == 400
    assert errors[0]["errorCode"] == code
    assert org.sandbox.stats.query_jobs_created == 0


async def test_query_all_and_bad_json(org: Org) -> None:
    info = await completed_query(org, "SELECT Id FROM Product2", operation="queryAll")
    assert info["operation"] == "queryAll"
    assert info["numberRecordsProcessed"] == SMALL_DATASET.n_products
    status, errors, _ = await org.call(
        "POST", "/jobs/query", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert (status, errors[0]["errorCode"]) == (400, "JSON_PARSER_ERROR")


async def test_a_broken_download_can_be_fetched_again_by_the_same_locator(org: Org) -> None:
    info = await completed_query(org, ACCOUNT_SOQL)
    first = await org.page(info["id"], max_records=200)
    locator = first.headers["Sforce-Locator"]
    whole = await org.page(info["id"], locator, max_records=200)
    org.sandbox.faults.inject(Fault.RESET_MID_BODY, endpoint="query_results")
    with pytest.raises(aiohttp.ClientPayloadError):
        await org.page(info["id"], locator, max_records=200)
    again = await org.page(info["id"], locator, max_records=200)
    assert again.text == whole.text
    assert again.headers["Sforce-Locator"] == "null"
    assert org.sandbox.stats.pages_served == 3
    assert org.sandbox.stats.faults_served[Fault.RESET_MID_BODY] == 1


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        (Fault.SERVICE_UNAVAILABLE, 503, "SERVER_UNAVAILABLE"),
        (Fault.SERVER_ERROR, 500, "UNKNOWN_EXCEPTION"),
        (Fault.CONCURRENT_LIMIT, 403, "REQUEST_LIMIT_EXCEEDED"),
    ],
)
async def test_injected_http_faults_hit_the_next_requests_only(
    org: Org, fault: Fault, status: int, code: str
) -> None:
    info = await completed_query(org, "SELECT Id FROM Account")
    used = org.sandbox.usage.used
    org.sandbox.faults.inject(fault, count=2, endpoint="query_results")
    for _ in range(2):
        page = await org.page(info["id"], max_records=10)
        assert page.status == status
        assert code in page.text
    assert org.sandbox.usage.used == used  # faulted requests cost nothing
    assert (await org.page(info["id"], max_records=10)).status == 200
    assert org.sandbox.faults.pending == 0


async def test_results_are_a_snapshot_of_the_moment_the_job_ran(org: Org) -> None:
    soql = "SELECT Id FROM Account WHERE SystemModstamp < 2025-01-01T00:00:00Z"
    info = await completed_query(org, soql)
    # Written after the job ran: its new SystemModstamp (now) is outside the window.
    org.sandbox.writes.write("Account", 5, {"NetSuite_Customer_ID__c": "42"}, 1_900_000_000_000, "005")
    rows = await org.rows(info["id"], max_records=100)
    assert len(rows) == info["numberRecordsProcessed"] == SMALL_DATASET.n_accounts
    later = await completed_query(org, soql)
    assert later["numberRecordsProcessed"] == SMALL_DATASET.n_accounts - 1


async def test_page_size_default_cap_and_bad_locators(start_org: StartOrg) -> None:
    org = await start_org(default_page_size=120, page_size_cap=100)
    info = await completed_query(org, "SELECT Id FROM Account")
    assert (await org.page(info["id"])).headers["Sforce-NumberOfRecords"] == "100"
    org_default = await start_org(default_page_size=120)
    info_default = await completed_query(org_default, "SELECT Id FROM Account")
    assert (await org_default.page(info_default["id"])).headers["Sforce-NumberOfRecords"] == "120"
    assert (await org.page(info["id"], locator="!!not-a-locator")).status == 400
    assert (await org.page(info["id"], max_records=0)).status == 400


async def test_jobs_can_be_paced_by_time_instead_of_polls(start_org: StartOrg) -> None:
    now = [1_750_000_000.0]
    org = await start_org(job_polls_per_state=None, job_seconds_per_state=5.0, clock=lambda: now[0])
    job = await org.create_query("SELECT Id FROM Account")
    path = f"/jobs/query/{job['id']}"
    assert [(await org.call("GET", path))[1]["state"] for _ in range(3)] == ["UploadComplete"] * 3
    now[0] += 5
    assert (await org.call("GET", path))[1]["state"] == "InProgress"
    now[0] += 5
    assert (await org.call("GET", path))[1]["state"] == "JobComplete"


async def test_old_api_versions_have_no_query_jobs(org: Org) -> None:
    url = f"{org.sandbox.base_url}/services/data/v46.0/jobs/query"
    async with org.http.post(
        url, json={"operation": "query", "query": "SELECT Id FROM Account"}, headers=org.auth()
    ) as r:
        assert r.status == 404


async def test_an_internal_error_fails_the_next_jobs_only(org: Org) -> None:
    org.sandbox.faults.inject(Fault.QUERY_INTERNAL_ERROR, endpoint="query_create")
    failed = await org.wait("query", (await org.create_query("SELECT Id FROM Account"))["id"])
    assert failed["state"] == "Failed"
    assert failed["errorMessage"].startswith("Unexpected exception")
    assert "contact support" in failed["errorMessage"]
    assert (await completed_query(org, "SELECT Id FROM Account"))["numberRecordsProcessed"] == 300


async def test_a_short_last_page_holds_one_row_less_than_the_job_processed(org: Org) -> None:
    org.sandbox.faults.inject(Fault.SHORT_LAST_PAGE)
    info = await completed_query(org, "SELECT Id FROM Account")
    pages = await org.all_pages(info["id"], max_records=70)
    assert [int(p.headers["Sforce-NumberOfRecords"]) for p in pages] == [70, 70, 70, 70, 19]
    assert [len(p.rows) - 1 for p in pages][-1] == 19
    assert info["numberRecordsProcessed"] == 300
    honest = await completed_query(org, "SELECT Id FROM Account")
    assert len(await org.rows(honest["id"], max_records=70)) == 300


async def test_a_looping_locator_names_the_page_it_came_with(org: Org) -> None:
    org.sandbox.faults.inject(Fault.LOOPING_LOCATOR)
    info = await completed_query(org, "SELECT Id FROM Account")
    first = await org.page(info["id"], max_records=70)
    second = await org.page(info["id"], first.headers["Sforce-Locator"], max_records=70)
    assert second.headers["Sforce-Locator"] == first.headers["Sforce-Locator"]


async def test_a_looping_listing_names_itself_as_the_next(org: Org) -> None:
    org.sandbox.faults.inject(Fault.LOOPING_LISTING)
    info = await completed_query(org, "SELECT Id FROM Account")
    url = f"{org.api}/jobs/query/{info['id']}/resultPages?maxRecords=20"
    async with org.http.get(url, headers=org.auth()) as response:
        following = (await response.json())["nextRecordsUrl"]
    async with org.http.get(_resolve(org, following), headers=org.auth()) as response:
        assert (await response.json())["nextRecordsUrl"] == following


async def test_a_miscounted_page_announces_one_row_more_than_it_holds(org: Org) -> None:
    info = await completed_query(org, "SELECT Id FROM Account")
    org.sandbox.faults.inject(Fault.MISCOUNTED_PAGE)
    page = await org.page(info["id"], max_records=70)
    assert (int(page.headers["Sforce-NumberOfRecords"]), len(page.rows) - 1) == (71, 70)
    again = await org.page(info["id"], max_records=70)
    assert int(again.headers["Sforce-NumberOfRecords"]) == 70


def test_query_faults_are_armed_where_they_can_fire() -> None:
    with pytest.raises(ValueError, match="query jobs created"):
        FaultPlan().inject(Fault.SHORT_LAST_PAGE, endpoint="query_results")
    with pytest.raises(ValueError, match="query results endpoint"):
        FaultPlan().inject(Fault.MISCOUNTED_PAGE, endpoint="query_create")
