"""The four objects the sandbox org knows, their fields, and which of them an integration may write.

Names are matched case-insensitively, as SOQL and the ingest header do; the canonical spelling here
is what the sandbox reports. Relationships are child-to-parent only (``OrderItem.Product2``), one
level deep, as Bulk API 2.0 allows them.

Writable fields are the integration's write-back targets; every other field is read-only through
the API, so an ingest row that sets one fails with INVALID_FIELD_FOR_INSERT_UPDATE.

These are the objects of the fullest org; ``org_shape`` hides what a given org lacks, so code that
checks a name against the org takes the shaped objects (``find``), not ``OBJECTS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Relationship:
    parent: str
    foreign_key: str


@dataclass(frozen=True, slots=True)
class SObject:
    name: str
    key_prefix: str
    fields: tuple[str, ...]
    writable: frozenset[str] = frozenset()
    relationships: Mapping[str, Relationship] = field(default_factory=lambda: MappingProxyType({}))

    def field_named(self, name: str) -> str | None:
        lowered = name.lower()
        return next((f for f in self.fields if f.lower() == lowered), None)

    def relationship_named(self, name: str) -> tuple[str, Relationship] | None:
        lowered = name.lower()
        return next(((n, r) for n, r in self.relationships.items() if n.lower() == lowered), None)


_AUDIT = ("SystemModstamp", "LastModifiedById")

ACCOUNT = SObject(
    name="Account",
    key_prefix="001",
    fields=(
        "Id",
        "Name",
        "BillingStreet",
        "BillingCity",
        "BillingState",
        "BillingPostalCode",
        "BillingCountry",
        "BillingCountryCode",
        "Phone",
        "Website",
        "CurrencyIsoCode",
        "IsPersonAccount",
        "FirstName",
        "LastName",
        "Regions__c",
        "NetSuite_Customer_ID__c",
        "NetSuite_Sync_Status__c",
        *_AUDIT,
    ),
    writable=frozenset({"NetSuite_Customer_ID__c", "NetSuite_Sync_Status__c"}),
)

PRODUCT2 = SObject(
    name="Product2",
    key_prefix="01t",
    fields=("Id", "Name", "ProductCode", "IsActive", *_AUDIT),
)

ORDER = SObject(
    name="Order",
    key_prefix="801",
    fields=(
        "Id",
        "AccountId",
        "OrderNumber",
        "EffectiveDate",
        "Status",
        "PoNumber",
        "Description",
        "CurrencyIsoCode",
        "TotalAmount",
        "NetSuite_Sales_Order_ID__c",
        "NetSuite_Sync_Status__c",
        *_AUDIT,
    ),
    writable=frozenset({"NetSuite_Sales_Order_ID__c", "NetSuite_Sync_Status__c"}),
    relationships=MappingProxyType({"Account": Relationship("Account", "AccountId")}),
)

ORDER_ITEM = SObject(
    name="OrderItem",
    key_prefix="802",
    fields=("Id", "OrderId", "OrderItemNumber", "Product2Id", "Quantity", "UnitPrice", *_AUDIT),
    relationships=MappingProxyType(
        {"Order": Relationship("Order", "OrderId"), "Product2": Relationship("Product2", "Product2Id")}
    ),
)

OBJECTS: Mapping[str, SObject] = MappingProxyType({o.name: o for o in (ACCOUNT, PRODUCT2, ORDER, ORDER_ITEM)})


def object_named(name: str, objects: Mapping[str, SObject] = OBJECTS) -> SObject | None:
    lowered = name.lower()
    return next((o for o in objects.values() if o.name.lower() == lowered), None)
