"""Every problem ``doctor`` names, made to happen in the sandboxes (or, for /limits, in a stub)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, cast

import pytest

from bulk_o2c.commands.demo import DemoOptions, Sandboxes, demo_settings, sandboxes
from bulk_o2c.config import NetSuiteSettings, Settings, load_settings
from bulk_o2c.mapping.settings import MappingSettings
from bulk_o2c.pipeline.preflight import SALESFORCE_CHECKS, Finding, netsuite_checks, salesforce_checks
from bulk_o2c.sandbox.salesforce.org_shape import OrgShape
from bulk_o2c.transport.salesforce.http import SalesforceHttp
from tests.support.netsuite_sandbox import running_sandbox, settings_for


def by_check(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


async def netsuite(
    mapping: dict[str, Any] | None = None, netsuite: dict[str, Any] | None = None, **config: Any
) -> dict[str, Finding]:
    async with running_sandbox(**config) as sandbox:
        settings = Settings(
            netsuite=settings_for(sandbox, **(netsuite or {})), mapping=MappingSettings(**(mapping or {}))
        )
        return by_check(await netsuite_checks(settings))


async def test_a_healthy_account_passes_every_netsuite_check() -> None:
    found = await netsuite(mapping={"price_level_id": "1"})
    statuses = {check: f.status for check, f in found.items()}
    assert statuses == {
        "token-based auth": "ok",
        "clock": "ok",
        "concurrency": "ok",
        "role reads customer": "ok",
        "role reads salesOrder": "ok",
        "mapping.subsidiary_id 1": "ok",
        "mapping.price_level_id 1": "ok",
        "mapping.customer_form_id 1": "ok",
        "mapping.sales_order_form_id 1": "ok",
        "items": "skip",
    }
    assert "reported a bound of 5 over SOAP" in found["concurrency"].detail


async def test_refused_credentials_fail_and_stop_the_checks() -> None:
    found = await netsuite(netsuite={"token_secret": "0" * 64})
    assert list(found) == ["token-based auth"]
    f = found["token-based auth"]
    assert f.status == "fail"
    assert "INVALID_LOGIN_ATTEMPT" in f.detail
    assert f.fix is not None
    assert "consumer and token credentials" in f.fix
    assert "0" * 64 not in f.detail + f.fix


async def test_missing_credentials_are_named() -> None:
    settings = Settings(netsuite=NetSuiteSettings())
    (f,) = await netsuite_checks(settings)
    assert (f.check, f.status) == ("settings", "fail")
    assert "netsuite.consumer_key" in f.detail


async def test_a_drifting_clock_is_a_warning() -> None:
    # NetSuite's clock two minutes ahead: passports still inside its window, but worth fixing.
    found = await netsuite(clock=lambda: time.time() + 120)
    f = found["clock"]
    assert f.status == "warn"
    assert "behind NetSuite's" in f.detail


async def test_an_integration_specific_limit_is_reported() -> None:
    found = await netsuite(concurrency_limit=15, integration_limit=3)
    assert found["concurrency"].status == "ok"
    assert "bound of 3" in found["concurrency"].detail


async def test_a_role_without_governance_access_warns_and_says_what_to_set() -> None:
    found = await netsuite(administrator=False)
    f = found["concurrency"]
    assert f.status == "warn"
    assert "INSUFFICIENT_PERMISSION" in f.detail
    assert f.fix is not None
    assert "netsuite.concurrency" in f.fix


async def test_a_role_that_cannot_read_a_record_type_fails() -> None:
    found = await netsuite(unreadable_record_types=frozenset({"salesOrder"}))
    assert found["role reads customer"].status == "ok"
    f = found["role reads salesOrder"]
    assert f.status == "fail"
    assert "INSUFFICIENT_PERMISSION" in f.detail
    assert "Transactions > Sales Order" in (f.fix or "")


async def test_a_subsidiary_or_price_level_that_does_not_exist_fails() -> None:
    found = await netsuite(mapping={"subsidiary_id": "7", "price_level_id": "9"})
    assert found["mapping.subsidiary_id 7"].status == "fail"
    assert found["mapping.price_level_id 9"].status == "fail"
    assert "set mapping.subsidiary_id" in (found["mapping.subsidiary_id 7"].fix or "")


async def test_the_custom_price_level_is_not_asked_for() -> None:
    found = await netsuite(mapping={"price_level_id": "-1"})
    assert not any(check.startswith("mapping.price_level_id") for check in found)


async def test_a_salesforce_token_and_a_refused_one(boxes: Sandboxes, settings: Settings) -> None:
    found = by_check(await salesforce_checks(settings, 1000))
    assert found["jwt token"].status == "ok"
    refused = settings.model_copy(
        update={"salesforce": settings.salesforce.model_copy(update={"client_id": "nope"})}
    )
    (f,) = await salesforce_checks(refused, 1000)
    assert (f.check, f.status) == ("jwt token", "fail")
    assert "salesforce.client_id" in (f.fix or "")


class LimitsAnswer:
    """/limits as Salesforce lays it out, with the figures a test chooses."""

    def __init__(self, remaining: dict[str, int] | Exception) -> None:
        self.remaining = remaining

    async def request_json(self, method: str, path: str) -> Any:
        assert (method, path) == ("GET", "limits")
        if isinstance(self.remaining, Exception):
            raise self.remaining
        return {name: {"Max": 10_000, "Remaining": left} for name, left in self.remaining.items()}


@pytest.mark.parametrize(
    ("remaining", "warned"),
    [
        (
            {
                "DailyApiRequests": 9_000,
                "DailyBulkV2QueryJobs": 9_000,
                "DailyBulkV2QueryFileStorageMB": 9_000,
                "DailyBulkApiBatches": 9_000,
            },
            set(),
        ),
        (
            {
                "DailyApiRequests": 10,
                "DailyBulkV2QueryJobs": 2,
                "DailyBulkV2QueryFileStorageMB": 0,
                "DailyBulkApiBatches": 1,
            },
            {
                "DailyApiRequests",
                "DailyBulkV2QueryJobs",
                "DailyBulkV2QueryFileStorageMB",
                "DailyBulkApiBatches",
            },
        ),
        (
            {"DailyApiRequests": 9_000},
            {"DailyBulkV2QueryJobs", "DailyBulkV2QueryFileStorageMB", "DailyBulkApiBatches"},
        ),
    ],
)
async def test_limits_warn_when_a_run_of_the_configured_size_would_not_fit(
    remaining: dict[str, int], warned: set[str]
) -> None:
    limits = SALESFORCE_CHECKS[0]
    findings = await limits(cast(SalesforceHttp, LimitsAnswer(remaining)), Settings(), 20_000)
    assert {f.check for f in findings if f.status == "warn"} == warned
    assert len(findings) == 4


async def test_limits_that_do_not_answer_are_a_warning_not_a_failure() -> None:
    from bulk_o2c.errors import PermanentError

    limits = SALESFORCE_CHECKS[0]
    (f,) = await limits(cast(SalesforceHttp, LimitsAnswer(PermanentError("HTTP 404"))), Settings(), 1)
    assert (f.check, f.status) == ("limits", "warn")
    assert "HTTP 404" in f.detail


async def test_an_entry_form_the_account_lacks_fails_and_lists_those_it_has() -> None:
    found = await netsuite(mapping={"sales_order_form_id": "68"}, custom_form_ids=frozenset({"1", "2"}))
    assert found["mapping.customer_form_id 1"].status == "ok"
    f = found["mapping.sales_order_form_id 68"]
    assert f.status == "fail"
    assert "no salesOrder form has internal id 68 (the role sees 1, 2)" in f.detail


async def _salesforce_findings(tmp_path: Path, shape: OrgShape, records: int = 1000) -> dict[str, Finding]:
    options = DemoOptions(accounts=20, orders=20, time_scale=0.0, page_latency_s=0.0, shape=shape)
    async with sandboxes(options) as boxes:
        settings = demo_settings(load_settings(), boxes, tmp_path / "state")
        return by_check(await salesforce_checks(settings, records))


async def test_an_org_that_serves_a_run_passes_the_describe_checks(tmp_path: Path) -> None:
    found = await _salesforce_findings(tmp_path, OrgShape(country_picklists=False))
    assert found["describe"].status == "ok"
    fallback = found["Account.BillingCountryCode"]
    assert fallback.status == "ok"
    assert "not in this org" in fallback.detail
    assert found["DailyBulkV2QueryJobs"].status == "ok"


async def test_a_write_back_field_the_org_lacks_fails_with_its_fix(tmp_path: Path) -> None:
    found = await _salesforce_findings(
        tmp_path, OrgShape(missing_fields=frozenset({"NetSuite_Customer_ID__c"}))
    )
    assert "describe" not in found
    f = found["Account.NetSuite_Customer_ID__c"]
    assert f.status == "fail"
    assert f.fix


async def test_nearly_exhausted_allowances_warn_for_a_large_run(tmp_path: Path) -> None:
    found = await _salesforce_findings(tmp_path, OrgShape(nearly_exhausted_limits=True), records=5_000_000)
    assert found["DailyBulkApiBatches"].status == "warn"
    assert "a run of 5,000,000 records needs about" in found["DailyBulkApiBatches"].detail
