import csv
import io
from typing import Any

import pytest

from bulk_o2c.sandbox.salesforce import INTEGRATION_USER_ID
from tests.sandbox.salesforce.conftest import Org, StartOrg

WRITE_BACK = ["Id", "NetSuite_Customer_ID__c", "NetSuite_Sync_Status__c"]


def to_csv(rows: list[list[str]], delimiter: str = ",", line_ending: str = "\n") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator=line_ending).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def account_ids(org: Org, count: int, start: int = 0) -> list[str]:
    return [org.sandbox.dataset.record_id("Account", slot) for slot in range(start, start + count)]


async def open_job(org: Org, sobject: str = "Account", **options: str) -> dict[str, Any]:
    body = {
        "object": sobject,
        "operation": "upsert",
        "externalIdFieldName": "Id",
        "contentType": "CSV",
        **options,
    }
    status, job, _ = await org.call("POST", "/jobs/ingest", json=body)
    assert status == 200, job
    return dict(job)


async def upload(
    org: Org, job: dict[str, Any], data: bytes, content_type: str = "text/csv"
) -> tuple[int, str]:
    url = f"{org.sandbox.base_url}/{job['contentUrl']}"
    async with org.http.put(url, data=data, headers=org.auth(**{"Content-Type": content_type})) as response:
        return response.status, await response.text()


async def close(org: Org, job: dict[str, Any], state: str = "UploadComplete") -> tuple[int, Any]:
    status, body, _ = await org.call("PATCH", f"/jobs/ingest/{job['id']}", json={"state": state})
    return status, body


async def run_job(
    org: Org, rows: list[list[str]], sobject: str = "Account", **options: str
) -> dict[str, Any]:
    job = await open_job(org, sobject, **options)
    assert await upload(org, job, to_csv(rows)) == (201, "")
    assert (await close(org, job))[0] == 200
    return await org.wait("ingest", job["id"])


async def results(org: Org, job_id: str, kind: str) -> list[list[str]]:
    status, text, headers = await org.call("GET", f"/jobs/ingest/{job_id}/{kind}/")
    assert status == 200, text
    assert headers["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(text, newline="")))


async def query_rows(org: Org, soql: str) -> list[list[str]]:
    job = await org.create_query(soql)
    assert (await org.wait("query", job["id"]))["state"] == "JobComplete"
    return await org.rows(job["id"], max_records=1000)


async def test_upsert_writes_the_fields_and_reports_shuffled_successes(org: Org) -> None:
    ids = account_ids(org, 60)
    rows = [WRITE_BACK] + [[record_id, f"NS-{n}", "Synced"] for n, record_id in enumerate(ids)]
    job = await open_job(org)
    assert job["state"] == "Open"
    assert job["contentUrl"] == f"services/data/v62.0/jobs/ingest/{job['id']}/batches"
    assert await upload(org, job, to_csv(rows)) == (201, "")
    assert (await close(org, job))[1]["state"] == "UploadComplete"
    info = await org.wait("ingest", job["id"])
    assert (info["state"], info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (
        "JobComplete",
        60,
        0,
    )

    written = org.sandbox.written_values("Account")
    assert written == {
        record_id: {"NetSuite_Customer_ID__c": f"NS-{n}", "NetSuite_Sync_Status__c": "Synced"}
        for n, record_id in enumerate(ids)
    }
    header, *successes = await results(org, job["id"], "successfulResults")
    assert header == ["sf__Id", "sf__Created", *WRITE_BACK]
    assert sorted(successes) == sorted([[r[0], "false", *r] for r in rows[1:]])
    assert [s[0] for s in successes] != ids  # order is deliberately not the upload order
    assert await results(org, job["id"], "failedResults") == [["sf__Id", "sf__Error", *WRITE_BACK]]
    assert await results(org, job["id"], "unprocessedrecords") == [WRITE_BACK]
    assert org.sandbox.stats.rows_written == 60


async def test_na_sets_null_and_empty_leaves_the_value(org: Org) -> None:
    record_id, other_id = account_ids(org, 2)
    await run_job(org, [WRITE_BACK, [record_id, "NS-1", "Synced"], [other_id, "NS-2", "Synced"]])
    info = await run_job(org, [WRITE_BACK, [record_id, "#N/A", ""], [other_id, "", "#N/A"]])
    assert info["numberRecordsFailed"] == 0
    written = org.sandbox.written_values("Account")
    assert written[record_id] == {"NetSuite_Customer_ID__c": None, "NetSuite_Sync_Status__c": "Synced"}
    assert written[other_id] == {"NetSuite_Customer_ID__c": "NS-2", "NetSuite_Sync_Status__c": None}
    rows = await query_rows(org, "SELECT Id, NetSuite_Customer_ID__c, NetSuite_Sync_Status__c FROM Account")
    assert rows[0] == [record_id, "", "Synced"]
    assert rows[1] == [other_id, "NS-2", ""]


async def test_writes_move_system_modstamp_so_a_delta_reselects_them(org: Org) -> None:
    ids = account_ids(org, 5, start=100)
    await run_job(org, [WRITE_BACK] + [[record_id, "NS", "Synced"] for record_id in ids])
    # Generated modstamps end with 2024; only the rows written now fall in a later window.
    delta = await query_rows(
        org, "SELECT Id, LastModifiedById FROM Account WHERE SystemModstamp >= 2025-01-01T00:00:00Z"
    )
    assert sorted(delta) == sorted([[record_id, INTEGRATION_USER_ID] for record_id in ids])


async def test_row_failures_carry_salesforce_codes(org: Org) -> None:
    good, protected = account_ids(org, 2)
    header = ["Id", "Name", "NetSuite_Customer_ID__c"]
    rows = [header, [good, "", "NS-1"], [protected, "New Name", "NS-2"], ["001000000000000AAA", "", "NS-3"]]
    info = await run_job(org, rows)
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (3, 2)
    _, *failures = await results(org, info["id"], "failedResults")
    errors = {row[0]: row[1] for row in failures}
    assert errors[protected].startswith(
        "INVALID_FIELD_FOR_INSERT_UPDATE:Unable to create/update fields: Name."
    )
    assert errors[""].startswith("INVALID_CROSS_REFERENCE_KEY:")
    assert sorted(row[2:] for row in failures) == sorted(rows[2:])
    assert set(org.sandbox.written_values("Account")) == {good}


async def test_locked_rows_fail_once_and_succeed_when_sent_again(org: Org) -> None:
    ids = account_ids(org, 10)
    org.sandbox.faults.lock_records(ids[:3])
    rows = [WRITE_BACK] + [[record_id, "NS", "Synced"] for record_id in ids]
    info = await run_job(org, rows)
    assert info["numberRecordsFailed"] == 3
    _, *failures = await results(org, info["id"], "failedResults")
    assert sorted(row[0] for row in failures) == sorted(ids[:3])
    assert all(
        row[1] == f"UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: "
        f"{row[0]}"
        for row in failures
    )
    retry = await run_job(org, [WRITE_BACK] + [row[2:] for row in failures])
    assert retry["numberRecordsFailed"] == 0
    assert set(org.sandbox.written_values("Account")) == set(ids)


async def test_a_seeded_share_of_rows_is_locked(start_org: StartOrg) -> None:
    org = await start_org(lock_failure_share=0.5)
    rows = [WRITE_BACK] + [[record_id, "NS", "Synced"] for record_id in account_ids(org, 100)]
    first = await run_job(org, rows)
    assert 20 < first["numberRecordsFailed"] < 80
    twin = await start_org(lock_failure_share=0.5)
    assert (await run_job(twin, rows))["numberRecordsFailed"] == first["numberRecordsFailed"]


async def test_orders_take_the_sales_order_id(org: Org) -> None:
    order_id = org.sandbox.dataset.record_id("Order", 3)
    header = ["Id", "NetSuite_Sales_Order_ID__c", "NetSuite_Sync_Status__c"]
    info = await run_job(org, [header, [order_id, "SO-77", "Synced"]], sobject="Order")
    assert info["numberRecordsFailed"] == 0
    assert org.sandbox.written_values("Order") == {
        order_id: {"NetSuite_Sales_Order_ID__c": "SO-77", "NetSuite_Sync_Status__c": "Synced"}
    }


async def test_a_written_order_moves_its_lines_into_a_later_parent_window(org: Org) -> None:
    dataset = org.sandbox.dataset
    order = 3
    lines = [dataset.row("OrderItem", order * dataset.max_lines + k) for k in range(dataset.lines_of(order))]
    later = "SELECT Id, SystemModstamp FROM OrderItem WHERE Order.SystemModstamp >= 2025-01-01T00:00:00Z"
    assert await query_rows(org, later) == []
    header = ["Id", "NetSuite_Sales_Order_ID__c", "NetSuite_Sync_Status__c"]
    await run_job(org, [header, [dataset.record_id("Order", order), "SO-77", "Synced"]], sobject="Order")
    # The lines themselves were not written: they keep their own SystemModstamp.
    assert await query_rows(org, later) == [[line["Id"], line["SystemModstamp"]] for line in lines]
    earlier = await query_rows(
        org, "SELECT Id FROM OrderItem WHERE Order.SystemModstamp < 2025-01-01T00:00:00Z"
    )
    assert len(earlier) == dataset.count("OrderItem") - len(lines)
    assert not {line["Id"] for line in lines} & {row[0] for row in earlier}


async def test_a_written_line_moves_its_order_as_the_roll_up_does(org: Org) -> None:
    dataset = org.sandbox.dataset
    item_id = dataset.record_id("OrderItem", 5 * dataset.max_lines)
    assert (await run_job(org, [["Id"], [item_id]], sobject="OrderItem"))["numberRecordsFailed"] == 0
    [[written_item, item_stamp]] = await query_rows(
        org, "SELECT Id, SystemModstamp FROM OrderItem WHERE SystemModstamp >= 2025-01-01T00:00:00Z"
    )
    [[order_id, order_stamp]] = await query_rows(
        org, "SELECT Id, SystemModstamp FROM Order WHERE SystemModstamp >= 2025-01-01T00:00:00Z"
    )
    assert (written_item, order_id) == (item_id, dataset.record_id("Order", 5))
    assert item_stamp == order_stamp


async def test_crlf_and_other_delimiters_are_read_as_declared(org: Org) -> None:
    record_id = account_ids(org, 1)[0]
    data = to_csv([WRITE_BACK, [record_id, 'NS;"7"', "Synced"]], delimiter=";", line_ending="\r\n")
    job = await open_job(org, lineEnding="CRLF", columnDelimiter="SEMICOLON")
    assert (await upload(org, job, data))[0] == 201
    await close(org, job)
    info = await org.wait("ingest", job["id"])
    assert info["numberRecordsFailed"] == 0
    assert org.sandbox.written_values("Account")[record_id]["NetSuite_Customer_ID__c"] == 'NS;"7"'
    _, text, _ = await org.call("GET", f"/jobs/ingest/{job['id']}/successfulResults/")
    assert text.startswith('"sf__Id";"sf__Created";"Id";')
    assert text.endswith("\r\n")


@pytest.mark.parametrize(
    ("options", "data", "message"),
    [
        (
            {"lineEnding": "CRLF"},
            b"Id,NetSuite_Customer_ID__c\n001,x\n",
            "LineEnding is invalid on user data",
        ),
        ({}, b"Id,Bogus__c\n001,x\n", "InvalidBatch : Field name not found : Bogus__c"),
        ({}, b"NetSuite_Customer_ID__c\nx\n", "Field name not provided: Id"),
        ({}, b'Id,NetSuite_Customer_ID__c\n001,"x\n', "Failed to parse CSV"),
        ({}, b"Id,NetSuite_Customer_ID__c\n001\n", "Row 2 has 1 fields"),
        ({}, b"Id\n\xff\xfe\n", "not UTF-8"),
    ],
)
async def test_job_level_problems_fail_the_job_and_write_nothing(
    org: Org, options: dict[str, str], data: bytes, message: str
) -> None:
    job = await open_job(org, **options)
    assert (await upload(org, job, data))[0] == 201
    await close(org, job)
    info = await org.wait("ingest", job["id"])
    assert info["state"] == "Failed"
    assert message in info["errorMessage"]
    assert org.sandbox.written_values("Account") == {}


async def test_abort_leaves_every_row_unprocessed(org: Org) -> None:
    rows = [WRITE_BACK] + [[record_id, "NS", "Synced"] for record_id in account_ids(org, 4)]
    job = await open_job(org)
    await upload(org, job, to_csv(rows))
    assert (await close(org, job, "Aborted"))[1]["state"] == "Aborted"
    assert await results(org, job["id"], "unprocessedrecords") == rows
    assert org.sandbox.written_values("Account") == {}
    assert (await close(org, job, "UploadComplete"))[0] == 400


async def test_state_rules_for_uploads_results_and_deletion(start_org: StartOrg) -> None:
    org = await start_org(max_upload_bytes=1_000)
    job = await open_job(org)
    status, text = await upload(org, job, b"Id\n" + b"0" * 2_000)
    assert status == 400
    assert "Exceeded max size limit of 1000" in text
    assert (await upload(org, job, b"Id\n", content_type="application/json"))[0] == 400
    assert (await org.call("GET", f"/jobs/ingest/{job['id']}/successfulResults/"))[0] == 400
    assert (await org.call("DELETE", f"/jobs/ingest/{job['id']}"))[0] == 400
    rows = [WRITE_BACK, [account_ids(org, 1)[0], "NS", "Synced"]]
    assert (await upload(org, job, to_csv(rows)))[0] == 201
    assert (await upload(org, job, to_csv([WRITE_BACK, [account_ids(org, 1, 7)[0], "NS", ""]])))[0] == 201
    await close(org, job)
    assert (await upload(org, job, to_csv(rows)))[0] == 400
    info = await org.wait("ingest", job["id"])
    assert info["numberRecordsProcessed"] == 2
    assert (await org.call("DELETE", f"/jobs/ingest/{job['id']}"))[0] == 204
    assert (await org.call("GET", f"/jobs/ingest/{job['id']}"))[0] == 404


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"object": "Lead", "operation": "upsert", "externalIdFieldName": "Id"}, "INVALIDENTITY"),
        ({"object": "Account", "operation": "insert"}, "INVALIDJOB"),
        ({"object": "Account", "operation": "upsert", "externalIdFieldName": "Name"}, "INVALIDJOB"),
        (
            {"object": "Account", "operation": "upsert", "externalIdFieldName": "Id", "lineEnding": "CR"},
            "INVALIDJOB",
        ),
    ],
)
async def test_bad_ingest_jobs_are_refused(org: Org, body: dict[str, str], code: str) -> None:
    status, errors, _ = await org.call("POST", "/jobs/ingest", json=body)
    assert (status, errors[0]["errorCode"]) == (400, code)
    assert org.sandbox.stats.ingest_jobs_created == 0
