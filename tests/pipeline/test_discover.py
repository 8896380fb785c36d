"""Whole runs against orgs of other shapes: every record lands right, or the run stops before
extraction naming the object, the field and what to do."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from pathlib import Path
from subprocess import STDOUT
from typing import Any

import anyio
import pytest

from bulk_o2c.commands.demo import DemoOptions, Sandboxes, demo_settings, sandboxes
from bulk_o2c.config import Settings, load_settings
from bulk_o2c.pipeline.discover import discover
from bulk_o2c.pipeline.org_plan import OrgSchemaError, RunPlan
from bulk_o2c.pipeline.run import run_pipeline
from bulk_o2c.protocol.netsuite.countries import ISO_TO_SOAP_COUNTRY
from bulk_o2c.sandbox.netsuite.soap_request import FieldValue
from bulk_o2c.sandbox.salesforce.org_shape import OrgShape
from bulk_o2c.store.store import open_store
from bulk_o2c.transport.salesforce.http import SalesforceHttp
from tests.support.runs import expected, write_config

ACCOUNTS = 60
ORDERS = 80
SYNC_STATUS = "NetSuite_Sync_Status__c"

Start = Callable[..., AbstractAsyncContextManager[tuple[Sandboxes, Settings]]]


@pytest.fixture
def start(tmp_path: Path) -> Start:
    @asynccontextmanager
    async def started(
        shape: OrgShape, **sections: dict[str, Any]
    ) -> AsyncIterator[tuple[Sandboxes, Settings]]:
        options = DemoOptions(
            accounts=ACCOUNTS, orders=ORDERS, time_scale=0.01, page_latency_s=0.0, shape=shape
        )
        async with sandboxes(options) as boxes:
            polling = {"page_size": 50, "poll_initial_s": 0.01, "poll_max_s": 0.05}
            base = load_settings(None, salesforce=polling, **sections)
            yield boxes, demo_settings(base, boxes, tmp_path / "state")

    return started


async def _dlq(settings: Settings) -> dict[tuple[str, str], str]:
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        return {(e.flow, e.sf_id): e.code for e in await store.dlq.entries(limit=100_000)}


def _field(value: FieldValue | None, *keys: str) -> str | None:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value if isinstance(value, str) else None


def _countries(boxes: Sandboxes) -> dict[str, str | None]:
    """NetSuite customer external id -> the country of its first address."""
    found = {}
    for record in boxes.netsuite.records("customer"):
        book = record.fields.get("addressbookList")
        entries = _field_list(book, "addressbook")
        found[record.external_id] = _field(entries[0], "addressbookAddress", "country") if entries else None
    return found


def _field_list(value: FieldValue | None, key: str) -> list[FieldValue]:
    if isinstance(value, dict):
        inner = value.get(key)
        return inner if isinstance(inner, list) else [inner] if inner is not None else []
    return value if isinstance(value, list) else []


async def _lands_right(boxes: Sandboxes, settings: Settings) -> None:
    want = expected(boxes, settings)
    result = await run_pipeline(settings)
    assert result.completed, result.stop_reason
    assert {r.external_id for r in boxes.netsuite.records("customer")} == want.customers
    assert {r.external_id for r in boxes.netsuite.records("salesOrder")} == want.sales_orders
    assert await _dlq(settings) == want.dlq
    # Each customer's country is the one its Account has, whichever column the org offered.
    dataset = boxes.salesforce.dataset
    prefix = settings.mapping.customer_external_id_prefix
    for external_id, country in _countries(boxes).items():
        slot = dataset.slot_of("Account", external_id.removeprefix(prefix))
        assert slot is not None
        code = dataset.row("Account", slot)["BillingCountryCode"]
        assert code is not None
        assert country == ISO_TO_SOAP_COUNTRY[code]


async def test_a_single_currency_org_without_country_picklists_or_sync_status_field_runs_unchanged(
    start: Start,
) -> None:
    shape = OrgShape(multi_currency=False, country_picklists=False, missing_fields=frozenset({SYNC_STATUS}))
    async with start(shape, run={"sync_status_field": False}) as (boxes, settings):
        await _lands_right(boxes, settings)
        # The free-text countries really were free text: not only the picklist labels.
        spellings = {boxes.salesforce.dataset.account(i)["BillingCountry"] for i in range(ACCOUNTS)}
        assert {"USA", "U.S.", "Deutschland"} & spellings
        written = boxes.salesforce.written_values("Account")
        assert written
        assert all(set(values) == {"NetSuite_Customer_ID__c"} for values in written.values())
        assert "CurrencyIsoCode" not in str(boxes.netsuite.records("customer")[0].fields)
        # No currency at all: NetSuite takes the customer's.
        assert all("currency" not in r.fields for r in boxes.netsuite.records("salesOrder"))


async def test_a_multi_currency_org_with_country_picklists_sends_currencies(start: Start) -> None:
    currencies = {"USD": "1", "EUR": "2", "GBP": "3", "JPY": "4", "CAD": "5", "AUD": "6"}
    async with start(OrgShape(), mapping={"currencies": currencies}) as (boxes, settings):
        await _lands_right(boxes, settings)
        sent = {_field(r.fields.get("currency"), "internalId") for r in boxes.netsuite.records("salesOrder")}
        assert sent <= set(currencies.values())
        assert len(sent) > 1


@pytest.mark.parametrize(
    ("shape", "sections", "says"),
    [
        (
            OrgShape(multi_currency=False),
            {"mapping": {"currencies": {"USD": "1"}}},
            [
                "Account.CurrencyIsoCode",
                "Order.CurrencyIsoCode",
                "not multi-currency",
                "remove mapping.currencies",
            ],
        ),
        (
            OrgShape(missing_fields=frozenset({SYNC_STATUS})),
            {},
            [
                f"Account.{SYNC_STATUS} does not exist",
                f"Order.{SYNC_STATUS}",
                "run.sync_status_field = false",
            ],
        ),
        (
            OrgShape(read_only_fields=frozenset({"NetSuite_Customer_ID__c"})),
            {},
            [
                "Account.NetSuite_Customer_ID__c is not updateable",
                "Edit access",
                "run.customer_id_field = false",
            ],
        ),
    ],
    ids=["currencies-in-single-currency-org", "missing-write-back-field", "read-only-write-back-field"],
)
async def test_an_org_that_lacks_what_the_settings_need_stops_the_run_before_extraction(
    start: Start, shape: OrgShape, sections: dict[str, dict[str, Any]], says: list[str]
) -> None:
    async with start(shape, **sections) as (boxes, settings):
        with pytest.raises(OrgSchemaError) as stopped:
            await run_pipeline(settings)
        for words in says:
            assert words in str(stopped.value)
        assert boxes.salesforce.stats.requests["query_create"] == 0
        assert not boxes.netsuite.records("customer")
        assert not (settings.run.state_dir / "checkpoint.sqlite").exists()


async def test_a_write_back_job_salesforce_fails_as_a_whole_stops_the_run_and_fills_no_dlq(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The field disappears between the describe and the write-back (deleted by an admin mid-run).
    async def stale(http: SalesforceHttp, settings: Settings) -> RunPlan:
        plan = await discover(http, settings)
        return replace(plan, writeback=replace(plan.writeback, sync_status=SYNC_STATUS))

    monkeypatch.setattr("bulk_o2c.pipeline.run.discover", stale)
    shape = OrgShape(missing_fields=frozenset({SYNC_STATUS}))
    async with start(shape, run={"sync_status_field": False}) as (boxes, settings):
        want = expected(boxes, settings)
        result = await run_pipeline(settings)

        assert not result.completed
        assert result.stop_reason is not None
        assert f"InvalidBatch : Field name not found : {SYNC_STATUS}" in result.stop_reason
        assert await _dlq(settings) == want.dlq  # the loaded records are not blamed for the setup
        assert boxes.salesforce.written_values("Account") == {}

        # Fixed (the describe sees the org as it is again), the same run resumes and writes the ids.
        monkeypatch.setattr("bulk_o2c.pipeline.run.discover", discover)
        resumed = await run_pipeline(settings, run_id=result.run.run_id)
        assert resumed.completed
        written = boxes.salesforce.written_values("Account")
        assert len(written) == len(want.customers)
        assert all(set(values) == {"NetSuite_Customer_ID__c"} for values in written.values())


async def test_person_accounts_become_individual_customers(start: Start) -> None:
    async with start(OrgShape(person_accounts=True)) as (boxes, settings):
        await _lands_right(boxes, settings)
        dataset = boxes.salesforce.dataset
        prefix = settings.mapping.customer_external_id_prefix
        people = 0
        for record in boxes.netsuite.records("customer"):
            slot = dataset.slot_of("Account", record.external_id.removeprefix(prefix))
            assert slot is not None
            row = dataset.row("Account", slot)
            person = row["IsPersonAccount"] == "true"
            assert _field(record.fields.get("isPerson")) == ("true" if person else "false")
            if person:
                people += 1
                assert _field(record.fields.get("firstName")) == row["FirstName"]
                assert _field(record.fields.get("lastName")) == row["LastName"]
                assert "companyName" not in record.fields
        assert people > 0


async def _bulk_o2c_run(config: Path, env: dict[str, str]) -> tuple[str, int]:
    process = await anyio.open_process(
        [sys.executable, "-m", "bulk_o2c", "--config", str(config), "run"], env=env, stderr=STDOUT
    )
    assert process.stdout is not None
    with anyio.fail_after(60):
        output = b"".join([chunk async for chunk in process.stdout]).decode()
        return output, await process.wait()


async def test_bulk_o2c_run_against_a_bare_org_lands_every_good_record_with_the_sync_status_off(
    start: Start, tmp_path: Path
) -> None:
    shape = OrgShape(multi_currency=False, country_picklists=False, missing_fields=frozenset({SYNC_STATUS}))
    async with start(shape) as (boxes, settings):
        want = expected(boxes, settings)
        config, env = write_config(settings, boxes, tmp_path)

        output, code = await _bulk_o2c_run(config, {**env, "BULK_O2C_RUN__SYNC_STATUS_FIELD": "false"})

        assert code == 3, output  # the data set's deliberately bad records are in the DLQ
        assert {r.external_id for r in boxes.netsuite.records("customer")} == want.customers
        assert {r.external_id for r in boxes.netsuite.records("salesOrder")} == want.sales_orders


async def test_bulk_o2c_run_against_an_org_without_the_sync_status_field_exits_1_saying_what_to_do(
    start: Start, tmp_path: Path
) -> None:
    async with start(OrgShape(missing_fields=frozenset({SYNC_STATUS}))) as (boxes, settings):
        config, env = write_config(settings, boxes, tmp_path)

        output, code = await _bulk_o2c_run(config, env)

        assert code == 1
        flat = " ".join(output.split())  # the console wraps long lines
        assert f"Account.{SYNC_STATUS} does not exist" in flat
        assert "run.sync_status_field = false" in flat
        assert "Traceback" not in output
        assert boxes.salesforce.stats.query_jobs_created == 0


async def test_an_org_with_nearly_exhausted_quotas_still_serves_a_run_that_fits_in_them(start: Start) -> None:
    async with start(OrgShape(nearly_exhausted_limits=True)) as (boxes, settings):
        before = boxes.salesforce.usage.used
        await _lands_right(boxes, settings)
        assert boxes.salesforce.usage.limit - before == 1_000  # 1% of the daily requests were left
