"""The sandbox's describe and /limits answers, per org shape (read with plain aiohttp)."""

from __future__ import annotations

from typing import Any

from bulk_o2c.sandbox.salesforce.org_shape import OrgShape
from tests.sandbox.salesforce.conftest import Org, StartOrg


async def _fields(org: Org, sobject: str) -> dict[str, dict[str, Any]]:
    status, body, _ = await org.call("GET", f"/sobjects/{sobject}/describe")
    assert status == 200, body
    assert body["name"].lower() == sobject.lower()
    return {f["name"]: f for f in body["fields"]}


async def test_the_default_org_lists_its_fields_with_what_the_integration_may_update(org: Org) -> None:
    fields = await _fields(org, "account")  # names are case-insensitive

    assert {"BillingCountryCode", "BillingCountry", "CurrencyIsoCode", "NetSuite_Sync_Status__c"} <= set(
        fields
    )
    assert not {"IsPersonAccount", "FirstName", "LastName"} & set(fields)
    assert fields["NetSuite_Customer_ID__c"]["updateable"] is True
    assert fields["Name"]["updateable"] is False
    item = await _fields(org, "OrderItem")
    assert item["Product2Id"]["relationshipName"] == "Product2"
    assert item["Product2Id"]["referenceTo"] == ["Product2"]


async def test_a_shape_hides_the_fields_its_org_lacks_and_locks_read_only_ones(start_org: StartOrg) -> None:
    shape = OrgShape(
        multi_currency=False,
        country_picklists=False,
        person_accounts=True,
        missing_fields=frozenset({"NetSuite_Sync_Status__c"}),
        read_only_fields=frozenset({"NetSuite_Customer_ID__c"}),
    )
    org = await start_org(shape=shape)

    fields = await _fields(org, "Account")
    assert not {"CurrencyIsoCode", "BillingCountryCode", "NetSuite_Sync_Status__c"} & set(fields)
    assert {"BillingCountry", "IsPersonAccount", "FirstName", "LastName"} <= set(fields)
    assert fields["NetSuite_Customer_ID__c"]["updateable"] is False
    status, body, _ = await org.call(
        "POST", "/jobs/query", json={"operation": "query", "query": "SELECT Id, CurrencyIsoCode FROM Order"}
    )
    assert (status, body[0]["errorCode"]) == (400, "INVALID_FIELD")


async def test_an_object_the_org_lacks_is_not_found(org: Org) -> None:
    status, body, _ = await org.call("GET", "/sobjects/Invoice__c/describe")
    assert (status, body[0]["errorCode"]) == (404, "NOT_FOUND")


async def test_free_text_countries_are_real_world_spellings_and_picklist_orgs_show_the_label(
    start_org: StartOrg,
) -> None:
    free = (await start_org(shape=OrgShape(country_picklists=False))).sandbox.dataset
    labels = (await start_org()).sandbox.dataset
    spellings = {free.account(i)["BillingCountry"] for i in range(300)}
    assert {"USA", "U.S.", "Deutschland", "US"} <= spellings
    assert {labels.account(i)["BillingCountry"] for i in range(300)} <= {
        "United States",
        "Germany",
        "United Kingdom",
        "France",
        "Japan",
        "Canada",
        "Australia",
        "Atlantis",
        None,
    }
    # Every other column is the same whichever shape the org has.
    assert {k: v for k, v in free.account(3).items() if k != "BillingCountry"} == {
        k: v for k, v in labels.account(3).items() if k != "BillingCountry"
    }


async def test_person_accounts_have_first_and_last_names(start_org: StartOrg) -> None:
    dataset = (await start_org(shape=OrgShape(person_accounts=True))).sandbox.dataset
    people = [dataset.account(i) for i in range(300) if dataset.account(i)["IsPersonAccount"] == "true"]
    assert len(people) == 60
    assert all(p["Name"] == f"{p['FirstName']} {p['LastName']}" for p in people)


async def test_limits_report_the_daily_quotas_nearly_exhausted_when_asked(start_org: StartOrg) -> None:
    plenty = await start_org()
    status, body, _ = await plenty.call("GET", "/limits")
    assert status == 200
    assert body["DailyBulkV2QueryJobs"] == {"Max": 10_000, "Remaining": 10_000}
    assert body["DailyBulkV2QueryFileStorageMB"] == {"Max": 1_048_576, "Remaining": 1_048_576}
    assert body["DailyApiRequests"]["Max"] - body["DailyApiRequests"]["Remaining"] <= 2

    scarce = await start_org(shape=OrgShape(nearly_exhausted_limits=True))
    status, body, _ = await scarce.call("GET", "/limits")
    assert body["DailyBulkV2QueryJobs"] == {"Max": 10_000, "Remaining": 100}
    assert body["DailyBulkApiBatches"] == {"Max": 15_000, "Remaining": 150}
    assert body["DailyBulkV2QueryFileStorageMB"] == {"Max": 1_048_576, "Remaining": 10_485}
    assert body["DailyApiRequests"]["Remaining"] <= body["DailyApiRequests"]["Max"] // 100
