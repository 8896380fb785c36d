"""Rows shaped like the Salesforce extract (every value a string, empty string = null)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

ACCOUNT_ID = "001A0000006Vm9rIAC"
ORDER_ID = "801A0000006Vm9rIAC"


@pytest.fixture
def account() -> dict[str, str]:
    return {
        "Id": ACCOUNT_ID,
        "Name": "Acme Corp",
        "BillingStreet": "1 Main St",
        "BillingCity": "Austin",
        "BillingState": "TX",
        "BillingPostalCode": "78701",
        "BillingCountryCode": "US",
        "Phone": "+1 512 555 0100",
        "Website": "https://acme.example",
        "CurrencyIsoCode": "USD",
        "NetSuite_Customer_ID__c": "",
        "SystemModstamp": "2025-03-01T10:00:00.000+0000",
    }


@pytest.fixture
def order() -> dict[str, str]:
    return {
        "Id": ORDER_ID,
        "AccountId": ACCOUNT_ID,
        "OrderNumber": "00000100",
        "EffectiveDate": "2025-03-01",
        "Status": "Activated",
        "PoNumber": "PO-98765",
        "Description": "Imported by bulk loader",
        "CurrencyIsoCode": "USD",
        "TotalAmount": "12345.67",
        "NetSuite_Sales_Order_ID__c": "",
        "SystemModstamp": "2025-03-01T10:00:00.000+0000",
    }


def _item(number: int, code: str = "SKU-1", quantity: str = "2", price: str = "19.99") -> dict[str, str]:
    return {
        "Id": f"802A{number:011d}",
        "OrderId": ORDER_ID,
        "OrderItemNumber": f"{number:010d}",
        "Product2Id": f"01tA{number:011d}",
        "Product2.ProductCode": code,
        "Quantity": quantity,
        "UnitPrice": price,
        "SystemModstamp": "2025-03-01T10:00:00.000+0000",
    }


@pytest.fixture
def make_item() -> Callable[..., dict[str, str]]:
    """OrderItem rows of ``order``: ``make_item(1, code="SKU-9", quantity="3")``."""
    return _item
