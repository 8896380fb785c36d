"""Whole runs between the sandboxes, in process: what lands, what is refused and why, what returns."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import anyio
import orjson
import pytest
from pydantic import SecretStr

from bulk_o2c.commands.demo import DEMO_REGIONS, DemoOptions, Sandboxes, demo_settings, sandboxes
from bulk_o2c.commands.ground_truth import ExpectedOutcome
from bulk_o2c.config import Settings, load_settings
from bulk_o2c.errors import BulkO2CError, ConfigError, StateDirLockedError
from bulk_o2c.mapping import MappingErrorCode
from bulk_o2c.pipeline.metrics import RunMetrics
from bulk_o2c.pipeline.run import SettingsChangedError, choose_run, run_pipeline
from bulk_o2c.sandbox.netsuite.soap_request import FieldValue
from bulk_o2c.sandbox.salesforce.dataset import DISCOUNT_PRODUCT_CODE
from bulk_o2c.store.store import open_store
from tests.support.runs import ACCOUNTS, expected
from tests.support.shared_files import soap_validator


async def _dlq(settings: Settings) -> dict[tuple[str, str], str]:
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        return {(e.flow, e.sf_id): e.code for e in await store.dlq.entries(limit=100_000)}


def _text_at(value: FieldValue, *keys: str) -> str:
    """The text under nested keys of a parsed NetSuite field; any other shape fails the test."""
    for key in keys:
        assert isinstance(value, dict), value
        value = value[key]
    assert isinstance(value, str), value
    return value


def _assert_exactly_once(boxes: Sandboxes, want: ExpectedOutcome) -> None:
    customers = boxes.netsuite.records("customer")
    orders = boxes.netsuite.records("salesOrder")
    assert {r.external_id for r in customers} == want.customers
    assert len(customers) == len(want.customers)
    assert {r.external_id for r in orders} == want.sales_orders
    assert len(orders) == len(want.sales_orders)


async def test_a_run_loads_every_good_record_once_and_files_every_bad_one(
    boxes: Sandboxes, settings: Settings
) -> None:
    want = expected(boxes, settings)
    result = await run_pipeline(settings)

    assert result.completed
    _assert_exactly_once(boxes, want)
    assert await _dlq(settings) == want.dlq
    assert {r.write_count for r in boxes.netsuite.records("customer")} == {1}
    # Every order references a customer that was loaded, by external id, and lines keep their items.
    discounts = 0
    for order in boxes.netsuite.records("salesOrder"):
        entity = order.fields["entity"]
        assert _text_at(entity, "type") == "customer"
        assert _text_at(entity, "externalId") in want.customers
        # A multi-currency org: the order's own currency, and its rates in it.
        order_slot = boxes.salesforce.dataset.slot_of("Order", order.external_id.removeprefix("SF_ORD_"))
        assert order_slot is not None
        currency_code = boxes.salesforce.dataset.order(order_slot)["CurrencyIsoCode"]
        assert currency_code is not None
        assert order.fields["currency"] == {"internalId": settings.mapping.currencies[currency_code]}
        lines = order.fields["itemList"]
        assert isinstance(lines, list)
        items = [(_text_at(line, "item", "externalId"), _text_at(line, "item", "type")) for line in lines]
        # Every discount comes right after the item line it discounts, as a discount item.
        for (code, item_type), before in zip(items, [("", ""), *items], strict=False):
            if code == DISCOUNT_PRODUCT_CODE:
                discounts += 1
                assert (item_type, before[0][:4]) == ("discountItem", "SKU-")
            else:
                assert (code[:4], item_type) == ("SKU-", "inventoryItem")
    assert discounts > 0
    assert MappingErrorCode.DISCOUNT_WITHOUT_ITEM in want.dlq.values()
    # Regions__c ("EMEA;APAC") lands as references to the list's values, in Salesforce's order.
    regions, dataset = DEMO_REGIONS.values or {}, boxes.salesforce.dataset
    for customer in boxes.netsuite.records("customer"):
        slot = dataset.slot_of("Account", customer.external_id.removeprefix("SF_ACCT_"))
        assert slot is not None
        picked = (dataset.account(slot)["Regions__c"] or "").split(";")
        refs: list[FieldValue] = [{"internalId": regions[region]} for region in picked if region]
        expected_fields = [{"scriptId": DEMO_REGIONS.script_id, "value": refs}] if refs else None
        assert customer.fields.get("customFieldList") == expected_fields


async def test_write_back_puts_the_netsuite_ids_on_the_salesforce_records(
    boxes: Sandboxes, settings: Settings
) -> None:
    await run_pipeline(settings)
    written = boxes.salesforce.written_values("Account")
    customers = {r.external_id: r.internal_id for r in boxes.netsuite.records("customer")}
    prefix = settings.mapping.customer_external_id_prefix
    assert len(written) == len(customers)
    for sf_id, values in written.items():
        assert values["NetSuite_Customer_ID__c"] == customers[prefix + sf_id]
        assert values["NetSuite_Sync_Status__c"] == "Synced"
    orders = boxes.salesforce.written_values("Order")
    assert len(orders) == len(boxes.netsuite.records("salesOrder"))


async def test_the_next_delta_skips_the_write_back_echo(boxes: Sandboxes, settings: Settings) -> None:
    first = await run_pipeline(settings)
    requests_after_first = boxes.netsuite.stats.requests
    # SOQL windows end on a whole second: a run starting in the second of the write-back would
    # leave those writes to the run after it (the overlap re-reads them then).
    await anyio.sleep(1.1)

    second = await run_pipeline(settings)

    assert second.completed
    assert second.run.run_id != first.run.run_id
    account = second.metrics.flows["Account"]
    # The write-back moved SystemModstamp on every loaded account: the delta sees them again...
    assert account.extracted == len(boxes.salesforce.written_values("Account"))
    # ...and sends none of them, since nothing NetSuite holds changed.
    assert account.skipped == account.extracted
    assert account.loaded == 0
    # Its start: getServerTime, the two governance calls, and the setup check (get of a customer,
    # a sales order and the subsidiary; getSelectValue of each form); no upsert.
    assert boxes.netsuite.stats.requests == requests_after_first + 8
    assert {r.write_count for r in boxes.netsuite.records("customer")} == {1}


async def test_a_stop_request_leaves_a_resumable_run(boxes: Sandboxes, settings: Settings) -> None:
    want = expected(boxes, settings)
    stop = anyio.Event()
    stop.set()
    stopped = await run_pipeline(settings, stop=stop)
    assert not stopped.completed
    assert stopped.run.status == "running"

    resumed = await run_pipeline(settings)

    assert resumed.run.run_id == stopped.run.run_id
    assert resumed.completed
    _assert_exactly_once(boxes, want)


async def test_dry_run_writes_payloads_and_sends_nothing(
    boxes: Sandboxes, settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "dry"
    result = await run_pipeline(settings, dry_run=out)

    assert result.completed
    assert boxes.netsuite.stats.requests == 0
    assert boxes.salesforce.written_values("Account") == {}
    payloads = sorted((out / "payloads").glob("*.xml"))
    assert payloads
    assert b"upsertList" in payloads[0].read_bytes()
    assert sum(p.read_bytes().count(b'xsi:type="listRel:Customer"') for p in payloads) == ACCOUNTS - sum(
        1 for key in expected(boxes, settings).dlq if key[0] == "Account"
    )
    assert any(b'xsi:type="tranSales:SalesOrder"' in p.read_bytes() for p in payloads)
    # No credential is needed for a dry run, and none is written.
    assert all(b"DRY-RUN" in p.read_bytes() for p in payloads)


async def test_dry_run_payloads_are_valid_against_netsuites_schemas(
    boxes: Sandboxes, settings: Settings, tmp_path: Path
) -> None:
    validate = soap_validator()
    await run_pipeline(settings, dry_run=tmp_path / "dry")
    for payload in sorted((tmp_path / "dry" / "payloads").glob("*.xml")):
        assert validate(payload.read_bytes()) == [], payload.name


async def test_an_outage_stops_the_run_without_filing_good_records_and_a_resume_finishes(
    boxes: Sandboxes, settings: Settings
) -> None:
    want = expected(boxes, settings)
    short_retries = settings.model_copy(
        update={"netsuite": settings.netsuite.model_copy(update={"max_attempts": 2})}
    )

    async def outage(_: RunMetrics) -> None:  # NetSuite goes down once the run has checked it
        boxes.netsuite.faults.fail_requests(10_000, "unexpected")

    stopped = await run_pipeline(short_retries, watch=outage)

    assert not stopped.completed
    assert stopped.stop_reason is not None
    assert "UNEXPECTED_ERROR" in stopped.stop_reason
    # The good records are staged for later, not in the DLQ: only the bad data is filed.
    assert set(await _dlq(settings)) <= set(want.dlq)
    assert not any(code.startswith("UNEXPECTED") for code in (await _dlq(settings)).values())

    boxes.netsuite.faults.clear()
    resumed = await run_pipeline(settings)

    assert resumed.completed
    assert resumed.run.run_id == stopped.run.run_id
    _assert_exactly_once(boxes, want)
    assert await _dlq(settings) == want.dlq


async def test_refused_credentials_stop_the_run_before_it_extracts_anything(
    boxes: Sandboxes, settings: Settings
) -> None:
    want = expected(boxes, settings)
    wrong = settings.model_copy(
        update={
            "netsuite": settings.netsuite.model_copy(update={"token_secret": SecretStr("not-the-secret")})
        }
    )

    with pytest.raises(ConfigError, match="Invalid login attempt") as refused:
        await run_pipeline(wrong)

    assert "not-the-secret" not in str(refused.value)
    assert boxes.salesforce.stats.query_jobs_created == 0  # nothing extracted for a run that cannot load
    assert not (settings.run.state_dir / "checkpoint.sqlite").exists()
    assert boxes.netsuite.stats.requests == 1

    done = await run_pipeline(settings)

    assert done.completed
    _assert_exactly_once(boxes, want)
    assert await _dlq(settings) == want.dlq


async def test_settings_that_cannot_work_record_no_run(boxes: Sandboxes, settings: Settings) -> None:
    checkpoint = settings.run.state_dir / "checkpoint.sqlite"
    with pytest.raises(ConfigError, match="no checkpoint"):
        await run_pipeline(settings, run_id="20250101T000000Z-abcdef")
    no_secret = settings.model_copy(
        update={"netsuite": settings.netsuite.model_copy(update={"token_id": None})}
    )
    with pytest.raises(ConfigError, match=r"netsuite\.token_id"):
        await run_pipeline(no_secret)
    assert not checkpoint.exists()


async def test_a_run_bounds_its_concurrency_by_what_netsuite_reports(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The sandbox gives this integration 2 of its 5 slots and refuses a third: a run without a
    netsuite.concurrency setting asks, keeps to 2, and is never refused."""
    caplog.set_level(logging.INFO, "bulk_o2c")
    options = DemoOptions(accounts=60, orders=80, time_scale=0.01, page_latency_s=0.0, integration_limit=2)
    async with sandboxes(options) as boxes:
        base = load_settings(
            salesforce={"page_size": 60, "poll_initial_s": 0.01, "poll_max_s": 0.05},
            netsuite={"chunk_size": 4},
        )
        settings = demo_settings(base, boxes, tmp_path / "state")
        assert settings.netsuite.concurrency is None
        result = await run_pipeline(settings)
        stats = boxes.netsuite.stats
    assert result.completed
    assert stats.records["customer"] > 0
    assert stats.blocked == 0
    assert stats.highest_concurrency == 2
    assert result.requests.peak_concurrency == 2
    assert "NetSuite reported a bound of 2 over SOAP" in caplog.text
    assert "cap netsuite.concurrency: none; using 2" in caplog.text


async def test_a_subsidiary_netsuite_lacks_stops_the_run_before_it_extracts_anything(
    boxes: Sandboxes, settings: Settings
) -> None:
    wrong = settings.model_copy(
        update={"mapping": settings.mapping.model_copy(update={"subsidiary_id": "7"})}
    )
    with pytest.raises(ConfigError, match=r"mapping\.subsidiary_id 7: no subsidiary has internal id 7"):
        await run_pipeline(wrong)
    assert boxes.salesforce.stats.query_jobs_created == 0
    assert not (settings.run.state_dir / "checkpoint.sqlite").exists()


async def test_a_refused_salesforce_token_stops_the_run_before_it_records_anything(
    boxes: Sandboxes, settings: Settings
) -> None:
    wrong = settings.model_copy(
        update={"salesforce": settings.salesforce.model_copy(update={"client_id": "not-the-app"})}
    )
    with pytest.raises(BulkO2CError):
        await run_pipeline(wrong)
    assert boxes.salesforce.stats.query_jobs_created == 0
    assert not (settings.run.state_dir / "checkpoint.sqlite").exists()


async def test_a_second_run_on_the_same_state_dir_is_refused_naming_the_first(
    boxes: Sandboxes, settings: Settings
) -> None:
    want = expected(boxes, settings)
    refused: list[str] = []

    async def second_run(metrics: RunMetrics) -> None:  # started while the first holds the lock
        with pytest.raises(StateDirLockedError) as error:
            await run_pipeline(settings)
        refused.append(str(error.value))
        assert metrics.run_id in refused[0]

    first = await run_pipeline(settings, watch=second_run)

    assert first.completed
    assert len(refused) == 1
    assert f"pid {os.getpid()}" in refused[0]
    _assert_exactly_once(boxes, want)
    assert {r.write_count for r in boxes.netsuite.records("customer")} == {1}  # nothing sent twice


async def test_resuming_with_another_mapping_is_refused_unless_accepted(
    boxes: Sandboxes, settings: Settings
) -> None:
    stop = anyio.Event()
    stop.set()
    stopped = await run_pipeline(settings, stop=stop)
    # Every order's date would move: the first part of the run was mapped in the other zone.
    # (A subsidiary the sandbox lacks is refused earlier, by the run's NetSuite checks.)
    other = settings.model_copy(
        update={"mapping": settings.mapping.model_copy(update={"time_zone": "Asia/Tokyo"})}
    )
    named = rf'mapping\.time_zone \("{settings.mapping.time_zone}" -> "Asia/Tokyo"\)'

    with pytest.raises(SettingsChangedError, match=named) as refused:
        await run_pipeline(other, run_id=stopped.run.run_id)
    assert "--accept-changed-settings" in str(refused.value)
    with pytest.raises(SettingsChangedError, match=named):
        await run_pipeline(other)  # continuing the latest unfinished run is the same
    assert boxes.netsuite.stats.records_received == 0

    resumed = await run_pipeline(other, run_id=stopped.run.run_id, accept_changed_settings=True)

    assert resumed.completed
    assert resumed.run.run_id == stopped.run.run_id
    assert orjson.loads(resumed.run.settings_json)["mapping"]["time_zone"] == "Asia/Tokyo"


async def test_a_changed_account_or_credentials_are_refused_and_tuning_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secrets = {"consumer_key": "ck", "consumer_secret": "cs", "token_id": "tid", "token_secret": "ts"}
    settings = Settings(netsuite={**secrets, "concurrency": 5}, run={"state_dir": tmp_path})
    async with open_store(tmp_path / "checkpoint.sqlite") as store:
        run = await choose_run(store, settings, None)
        for netsuite, named in (
            ({"account_id": "7654321"}, r"netsuite\.account_id"),
            ({"token_id": SecretStr("another-token")}, r"netsuite\.credentials"),
        ):
            changed = settings.model_copy(update={"netsuite": settings.netsuite.model_copy(update=netsuite)})
            with pytest.raises(SettingsChangedError, match=named):
                await choose_run(store, changed, run.run_id)
        tuned = settings.model_copy(
            update={"netsuite": settings.netsuite.model_copy(update={"concurrency": 12})}
        )
        with caplog.at_level(logging.INFO, logger="bulk_o2c.pipeline.run"):
            again = await choose_run(store, tuned, None)
    assert again.run_id == run.run_id
    assert orjson.loads(again.settings_json)["netsuite"]["concurrency"] == 12
    assert f"run {run.run_id} continues with changed tuning: netsuite.concurrency (5 -> 12)" in caplog.text


async def test_a_dlq_retry_of_an_older_completed_run_resumes_it_and_wedges_nothing(
    boxes: Sandboxes, settings: Settings
) -> None:
    want = expected(boxes, settings)
    # No overlap: the later run's mark is past the older run's start, as a day later it would be.
    settings = settings.model_copy(update={"run": settings.run.model_copy(update={"delta_overlap_s": 0.0})})
    older = await run_pipeline(settings)
    await anyio.sleep(1.1)  # windows end on a whole second
    later = await run_pipeline(settings)
    assert older.completed
    assert later.completed
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        marks = {flow: await store.runs.high_water_mark(flow) for flow in ("Account", "Order")}
        retried = await store.dlq.retry(run_id=older.run.run_id)
    assert retried == len(want.dlq)
    jobs = boxes.salesforce.stats.query_jobs_created

    resumed = await run_pipeline(settings, run_id=older.run.run_id)

    assert resumed.completed
    assert resumed.run.status == "completed"
    assert boxes.salesforce.stats.query_jobs_created == jobs  # no window read again: only the retried
    async with open_store(settings.run.state_dir / "checkpoint.sqlite") as store:
        assert {f: await store.runs.high_water_mark(f) for f in ("Account", "Order")} == marks
        assert await store.runs.latest(unfinished=True) is None
    assert await _dlq(settings) == want.dlq  # the same bad data fails the same way, none lost
    await anyio.sleep(1.1)
    after = await run_pipeline(settings)
    assert after.completed
    assert after.run.run_id not in (older.run.run_id, later.run.run_id)
