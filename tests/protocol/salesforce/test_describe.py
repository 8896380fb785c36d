from __future__ import annotations

import pytest

from bulk_o2c.protocol.salesforce.describe import OrgSchema, describe_path, parse_describe
from bulk_o2c.protocol.salesforce.errors import SalesforceProtocolError

ORDER_ITEM = {
    "name": "OrderItem",
    "fields": [
        {"name": "Id", "type": "id", "updateable": False, "nillable": False},
        {"name": "Quantity", "type": "double", "updateable": True, "createable": True, "nillable": False},
        {
            "name": "Product2Id",
            "type": "reference",
            "relationshipName": "Product2",
            "referenceTo": ["Product2"],
        },
        {"name": "Odd__c"},
    ],
    "urls": {"describe": "/services/data/v62.0/sobjects/OrderItem/describe"},
}
PRODUCT2 = {"name": "Product2", "fields": [{"name": "ProductCode", "type": "string"}]}


def test_a_describe_answer_becomes_fields_looked_up_case_insensitively() -> None:
    schema = parse_describe(ORDER_ITEM, "orderitem")

    quantity = schema.field("QUANTITY")
    assert quantity is not None
    assert (quantity.name, quantity.type, quantity.updateable, quantity.createable) == (
        "Quantity",
        "double",
        True,
        True,
    )
    odd = schema.field("odd__c")
    assert odd is not None
    # A flag the answer leaves out is false: a field is never taken to be writable on a guess.
    assert (odd.updateable, odd.createable, odd.nillable, odd.type) == (False, False, False, "string")
    assert schema.field("UnitPrice") is None


def test_a_path_column_is_found_through_the_relationship_on_the_described_parent() -> None:
    org = OrgSchema.of([parse_describe(ORDER_ITEM, "OrderItem"), parse_describe(PRODUCT2, "Product2")])

    assert org.referenced("OrderItem", "Product2.ProductCode") == ("Product2",)
    found = org.field("OrderItem", "product2.productcode")
    assert found is not None
    assert found.name == "ProductCode"
    assert org.field("OrderItem", "Product2.StockKeepingUnit") is None
    assert org.field("OrderItem", "Order.OrderNumber") is None  # no such relationship
    assert org.field("OrderItem", "Product2.Owner.Name") is None  # one level only
    assert org.field("Invoice__c", "Id") is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "no object name"),
        ({"fields": []}, "no object name"),
        ({"name": "Account", "fields": []}, "answered for 'Account'"),
        ({"name": "OrderItem"}, "no field list"),
        ({"name": "OrderItem", "fields": [{"type": "string"}]}, "a field has no name"),
    ],
)
def test_an_answer_without_the_documented_shape_is_refused(body: object, message: str) -> None:
    with pytest.raises(SalesforceProtocolError, match=message):
        parse_describe(body, "OrderItem")


def test_only_an_api_name_goes_into_the_path() -> None:
    assert describe_path("NetSuite_Log__c") == "sobjects/NetSuite_Log__c/describe"
    for bad in ("../limits", "Account/describe", "", "1Account"):
        with pytest.raises(ValueError, match="API name"):
            describe_path(bad)
