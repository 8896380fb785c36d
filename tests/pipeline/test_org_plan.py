"""The plan: which columns a run selects in an org of a given shape, which fallbacks it takes, and
what stops it (each problem naming the object, the field and what to do)."""

from __future__ import annotations

from typing import Any

import pytest

from bulk_o2c.config import Settings
from bulk_o2c.pipeline.org_plan import OrgSchemaError, plan_run
from bulk_o2c.protocol.salesforce.describe import FieldInfo, OrgSchema, SObjectSchema

ACCOUNT = ("Id", "Name", "BillingStreet", "BillingCity", "BillingState", "BillingPostalCode", "Phone")
ORDER = ("Id", "AccountId", "EffectiveDate", "Status", "PoNumber", "Description")
ORDER_ITEM = ("Id", "OrderId", "Quantity", "UnitPrice", "OrderItemNumber")
WRITE_BACK = {"NetSuite_Customer_ID__c", "NetSuite_Sales_Order_ID__c", "NetSuite_Sync_Status__c"}


def org(
    account: tuple[str, ...] = (),
    order: tuple[str, ...] = (),
    *,
    updateable: set[str] = WRITE_BACK,
    without: tuple[str, ...] = (),
) -> OrgSchema:
    """A minimal org with the base columns, ``account`` / ``order`` extra columns, and no object in
    ``without``."""

    def sobject(name: str, fields: tuple[str, ...]) -> SObjectSchema:
        return SObjectSchema.of(name, (FieldInfo(f, updateable=f in updateable) for f in fields))

    objects = [
        sobject("Account", ACCOUNT + account),
        sobject("Order", ORDER + order),
        SObjectSchema.of(
            "OrderItem",
            [FieldInfo(f) for f in ORDER_ITEM]
            + [FieldInfo("Product2Id", relationship_name="Product2", reference_to=("Product2",))],
        ),
        sobject("Product2", ("Id", "ProductCode")),
    ]
    return OrgSchema.of(o for o in objects if o.name not in without)


SYNC_STATUS_OFF = "run.sync_status_field = false (or BULK_O2C_RUN__SYNC_STATUS_FIELD=false)"
FULL = org(
    ("BillingCountryCode", "BillingCountry", "CurrencyIsoCode", *sorted(WRITE_BACK)),
    ("CurrencyIsoCode", *sorted(WRITE_BACK)),
)
BARE = org(("BillingCountry",))


def settings(**sections: dict[str, Any]) -> Settings:
    return Settings.model_validate(sections)


def test_a_full_org_selects_the_code_the_currency_and_the_ids_already_written_back() -> None:
    plan = plan_run(FULL, settings()).check()

    assert plan.columns["Account"] == (
        *ACCOUNT,
        "BillingCountryCode",
        "CurrencyIsoCode",
        "NetSuite_Customer_ID__c",
    )
    assert plan.columns["Order"] == (*ORDER, "CurrencyIsoCode", "NetSuite_Sales_Order_ID__c")
    assert plan.columns["OrderItem"] == (*ORDER_ITEM[:4], "Product2.ProductCode", "OrderItemNumber")
    assert plan.fallbacks == ()
    assert plan.writeback.sync_status == "NetSuite_Sync_Status__c"


def test_a_bare_org_takes_the_fallbacks_when_the_write_back_is_switched_off() -> None:
    off = {"writeback": False}
    plan = plan_run(BARE, settings(run=off)).check()

    assert plan.columns["Account"] == (*ACCOUNT, "BillingCountry")
    assert plan.columns["Order"] == ORDER
    assert [str(f) for f in plan.fallbacks] == [
        "Account.BillingCountryCode is not in this org: the country comes from BillingCountry through "
        "the country name table",
        "Account.CurrencyIsoCode is not in this org: no currency is sent",
        "Order.CurrencyIsoCode is not in this org: no currency is sent",
    ]
    assert (plan.writeback.customer_id, plan.writeback.sales_order_id, plan.writeback.sync_status) == (
        None,
        None,
        None,
    )


def test_each_write_back_field_can_be_switched_off_alone() -> None:
    schema = org(("BillingCountry", "NetSuite_Customer_ID__c"), ("NetSuite_Sales_Order_ID__c",))
    plan = plan_run(schema, settings(run={"sync_status_field": False})).check()
    assert plan.writeback.sync_status is None
    assert plan.columns["Account"][-1] == "NetSuite_Customer_ID__c"

    plan = plan_run(BARE, settings(run={"customer_id_field": False, "sales_order_id_field": False})).check()
    assert plan.writeback.id_field("Account") is None
    assert "NetSuite_Customer_ID__c" not in plan.columns["Account"]


@pytest.mark.parametrize(
    ("schema", "sections", "problems"),
    [
        (
            org(("BillingCountryCode",)),
            {"mapping": {"currencies": {"USD": "1"}}, "run": {"writeback": False}},
            [
                "Account.CurrencyIsoCode does not exist: the org is not multi-currency: remove mapping."
                "currencies (NetSuite then uses the customer's or the subsidiary's currency)",
                "Order.CurrencyIsoCode does not exist: the org is not multi-currency: remove mapping."
                "currencies (NetSuite then uses the customer's or the subsidiary's currency)",
            ],
        ),
        (
            org(("BillingCountry", "NetSuite_Customer_ID__c"), ("NetSuite_Sales_Order_ID__c",)),
            {},
            [
                "Account.NetSuite_Sync_Status__c does not exist or the integration user cannot read it: "
                "create the field and give the integration user Edit access to it, or switch the "
                "write-back of it off: " + SYNC_STATUS_OFF,
                "Order.NetSuite_Sync_Status__c does not exist or the integration user cannot read it: "
                "create the field and give the integration user Edit access to it, or switch the "
                "write-back of it off: " + SYNC_STATUS_OFF,
            ],
        ),
        (
            org(("BillingCountry", "NetSuite_Customer_ID__c"), updateable=set()),
            {"run": {"sync_status_field": False, "sales_order_id_field": False}},
            [
                "Account.NetSuite_Customer_ID__c is not updateable by the integration user (field-level "
                "security: Edit access missing): grant Edit access to it in the user's profile or a "
                "permission set, or switch the write-back of it off: run.customer_id_field = false "
                "(or BULK_O2C_RUN__CUSTOMER_ID_FIELD=false)"
            ],
        ),
        (
            org(),
            {"run": {"writeback": False}},
            [
                "Account.BillingCountry does not exist or the integration user cannot read it: grant Read "
                "access to it (field-level security) or change the setting that names it"
            ],
        ),
        (
            org(("BillingCountry",), without=("Product2",)),
            {"run": {"writeback": False}},
            [
                "OrderItem.Product2.ProductCode does not exist or the integration user cannot read it: "
                "grant Read access to it (field-level security) or change the setting that names it"
            ],
        ),
        (
            org(("BillingCountry",), without=("Order",)),
            {"run": {"writeback": False}},
            [
                "Order is not available to the integration user: enable it in the org and give the "
                "integration user Read access to it"
            ],
        ),
    ],
    ids=["currencies", "missing-sync-status", "read-only-id", "no-country", "no-item-column", "no-order"],
)
def test_what_the_org_lacks_is_a_problem_naming_object_field_and_fix(
    schema: OrgSchema, sections: dict[str, dict[str, Any]], problems: list[str]
) -> None:
    plan = plan_run(schema, settings(**sections))

    assert [str(p) for p in plan.problems] == problems
    with pytest.raises(OrgSchemaError) as stopped:
        plan.check()
    assert all(p in str(stopped.value) for p in problems)
    assert "nothing was extracted" in str(stopped.value)


def test_custom_field_sources_must_exist() -> None:
    custom = {"source": "Tier__c", "script_id": "custentity_tier", "kind": "string", "record": "customer"}
    plan = plan_run(BARE, settings(run={"writeback": False}, mapping={"custom_fields": [custom]}))
    assert [(p.sobject, p.field) for p in plan.problems] == [("Account", "Tier__c")]


def test_person_account_columns_are_selected_only_where_the_org_has_them() -> None:
    people = org(("BillingCountry", "IsPersonAccount", "FirstName", "LastName"))
    off = settings(run={"writeback": False})
    assert plan_run(people, off).columns["Account"][-3:] == ("IsPersonAccount", "FirstName", "LastName")
    assert "IsPersonAccount" not in plan_run(BARE, off).columns["Account"]
