import pytest

from bulk_o2c.sandbox.salesforce.soql import Column, SoqlError, parse_soql

JAN = 1_704_067_200_000  # 2024-01-01T00:00:00Z
FEB = 1_706_745_600_000  # 2024-02-01T00:00:00Z


def test_fields_keep_the_query_spelling_and_resolve_to_canonical_names() -> None:
    query = parse_soql("select id, NAME, billingCountryCode from account")
    assert query.sobject == "Account"
    assert query.columns == (
        Column("id", "Id"),
        Column("NAME", "Name"),
        Column("billingCountryCode", "BillingCountryCode"),
    )
    assert query.window.is_everything


def test_parent_fields_resolve_through_the_relationship() -> None:
    query = parse_soql("SELECT Id, Product2.ProductCode, Order.OrderNumber FROM OrderItem")
    assert query.columns[1] == Column("Product2.ProductCode", "ProductCode", "Product2")
    assert query.columns[2] == Column("Order.OrderNumber", "OrderNumber", "Order")


@pytest.mark.parametrize(
    ("where", "inside", "outside"),
    [
        (
            "SystemModstamp >= 2024-01-01T00:00:00Z AND SystemModstamp < 2024-02-01T00:00:00Z",
            [JAN, FEB - 1],
            [FEB],
        ),
        (
            "SystemModstamp > 2024-01-01T00:00:00.000+0000 AND SystemModstamp <= 2024-02-01T00:00:00Z",
            [FEB],
            [JAN],
        ),
        ("systemmodstamp >= 2024-01-01T01:00:00+01:00", [JAN], [JAN - 1]),
    ],
)
def test_modstamp_windows(where: str, inside: list[int], outside: list[int]) -> None:
    window = parse_soql(f"SELECT Id FROM Order WHERE {where}").window  # noqa: S608 - SOQL under test
    assert all(window.contains(ms) for ms in inside)
    assert not any(window.contains(ms) for ms in outside)


def test_a_parent_modstamp_condition_windows_the_parent_not_the_object() -> None:
    query = parse_soql(
        "SELECT Id, OrderId FROM OrderItem "
        "WHERE order.SystemModstamp >= 2024-01-01T00:00:00Z AND Order.systemmodstamp < 2024-02-01T00:00:00Z"
    )
    assert query.window.is_everything
    assert list(query.parent_windows) == ["Order"]
    parent = query.parent_windows["Order"]
    assert parent.contains(JAN)
    assert parent.contains(FEB - 1)
    assert not parent.contains(JAN - 1)
    assert not parent.contains(FEB)


def test_own_and_parent_conditions_are_kept_apart() -> None:
    query = parse_soql(
        "SELECT Id FROM OrderItem WHERE SystemModstamp >= 2024-01-01T00:00:00Z "
        "AND Order.SystemModstamp < 2024-02-01T00:00:00Z AND Product2.SystemModstamp > 2024-01-01T00:00:00Z"
    )
    assert query.window.contains(FEB)
    assert not query.window.contains(JAN - 1)
    assert query.parent_windows["Order"].contains(JAN - 1)
    assert not query.parent_windows["Order"].contains(FEB)
    assert not query.parent_windows["Product2"].contains(JAN)
    assert parse_soql("SELECT Id FROM OrderItem").parent_windows == {}


@pytest.mark.parametrize(
    ("soql", "code", "fragment"),
    [
        ("SELECT Id FROM Contact", "INVALIDENTITY", "Entity 'Contact' is not supported by the Bulk API."),
        (
            "SELECT Id, Bogus__c FROM Account",
            "INVALID_FIELD",
            "No such column 'Bogus__c' on entity 'Account'",
        ),
        ("SELECT Id, Owner.Name FROM Order", "INVALID_FIELD", "Didn't understand relationship 'Owner'"),
        ("SELECT Id, Order.Account.Name FROM OrderItem", "INVALID_FIELD", "relationship"),
        (
            "SELECT Id, Product2.Bogus FROM OrderItem",
            "INVALID_FIELD",
            "No such column 'Bogus' on entity 'Product2'",
        ),
        ("SELECT Id FROM Account ORDER BY Id", "MALFORMED_QUERY", "ORDER"),
        ("SELECT Id FROM Account LIMIT 10", "MALFORMED_QUERY", "LIMIT"),
        ("SELECT COUNT() FROM Account", "MALFORMED_QUERY", "("),
        ("SELECT FROM Account", "MALFORMED_QUERY", "FROM"),
        ("SELECT Id Account", "MALFORMED_QUERY", "unexpected"),
        ("SELECT Id FROM Account WHERE Name >= 2024-01-01T00:00:00Z", "MALFORMED_QUERY", "SystemModstamp"),
        ("SELECT Id FROM Account WHERE SystemModstamp = 2024-01-01T00:00:00Z", "MALFORMED_QUERY", "="),
        ("SELECT Id FROM Account WHERE SystemModstamp > 2024-01-01", "MALFORMED_QUERY", "dateTime"),
        ("SELECT Id FROM Account WHERE SystemModstamp > 2024-01-01T00:00:00Z OR", "MALFORMED_QUERY", "OR"),
        (
            "SELECT Id FROM OrderItem WHERE Order.Status >= 2024-01-01T00:00:00Z",
            "MALFORMED_QUERY",
            "the sandbox filters on SystemModstamp or <Relationship>.SystemModstamp only, not 'Order.Status'",
        ),
        (
            "SELECT Id FROM OrderItem WHERE Bogus.SystemModstamp >= 2024-01-01T00:00:00Z",
            "INVALID_FIELD",
            "Didn't understand relationship 'Bogus'",
        ),
        (
            "SELECT Id FROM Account WHERE Order.SystemModstamp >= 2024-01-01T00:00:00Z",
            "INVALID_FIELD",
            "Didn't understand relationship 'Order'",
        ),
        (
            "SELECT Id FROM OrderItem WHERE Order.Account.SystemModstamp >= 2024-01-01T00:00:00Z",
            "INVALID_FIELD",
            "Didn't understand relationship 'Order'",
        ),
        ("SELECT Id, id FROM Account", "MALFORMED_QUERY", "duplicate field"),
        ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY", "end of query"),
    ],
)
def test_errors_carry_salesforce_codes(soql: str, code: str, fragment: str) -> None:
    with pytest.raises(SoqlError) as caught:
        parse_soql(soql)
    assert caught.value.error_code == code
    assert fragment in caught.value.message


def test_syntax_is_checked_before_the_object() -> None:
    with pytest.raises(SoqlError) as caught:
        parse_soql("SELECT Id FROM Nope LIMIT 1")
    assert caught.value.error_code == "MALFORMED_QUERY"
