from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from lxml import etree

from bulk_o2c.errors import PermanentError
from bulk_o2c.protocol.netsuite.envelope import (
    CONTENT_TYPE,
    SOAP_ACTION_UPSERT_LIST,
    Preferences,
    RecordEncoder,
    RecordEncodingError,
    build_get,
    build_get_account_governance_info,
    build_get_integration_governance_info,
    build_get_select_value,
    build_get_server_time,
    build_upsert_list,
)
from bulk_o2c.protocol.netsuite.namespaces import SOAP_ENV, XSI, namespaces
from bulk_o2c.protocol.netsuite.passport import TokenPassport
from bulk_o2c.protocol.netsuite.records import (
    Address,
    AddressbookEntry,
    Customer,
    CustomField,
    NetSuiteRecord,
    RecordRef,
    SalesOrder,
    SalesOrderLine,
)
from tests.support.shared_files import soap_validator

VERSIONS = ["2023_2", "2025_2"]
HOSTILE = "]]></x><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>&e; \"q\" 'a' <b>"
UNICODE = "Müller & Söhne \u2013 東京 😀 \U0010fffd"


def passport(**overrides: str) -> TokenPassport:
    values = {
        "account": "1234567_SB1",
        "consumer_key": "ck-abc",
        "token": "tk-def",
        "nonce": "n0nce1234567",
        "signature": "c2lnbmF0dXJl+/=",
    }
    values.update(overrides)
    return TokenPassport(timestamp=1_740_787_200, **values)


def full_customer(text: str = "Acme Corp") -> Customer:
    return Customer(
        external_id="CUST-0001",
        company_name=text,
        is_person=False,
        email="ap@acme.example",
        phone="+1 512 555 0100",
        custom_form=RecordRef(internal_id="-2"),
        subsidiary=RecordRef(internal_id="1"),
        currency=RecordRef(external_id="USD-ext", type="currency"),
        addressbook=(
            AddressbookEntry(
                Address(
                    country="_unitedStates",
                    attention=text,
                    addressee=text,
                    addr_phone="512-555-0100",
                    addr1="1 Main St",
                    addr2="Suite 5",
                    addr3="Building C",
                    city="Austin",
                    state="TX",
                    zip="78701",
                ),
                default_shipping=True,
                default_billing=True,
                label="HQ",
            ),
            AddressbookEntry(Address(country="_germany", city="Köln"), default_shipping=False, label=text),
        ),
        custom_fields=(
            CustomField("custentity_text", "string", text),
            CustomField("custentity_flag", "boolean", True),
            CustomField("custentity_count", "long", -(2**63)),
            CustomField("custentity_score", "double", Decimal("12.5")),
            CustomField("custentity_since", "date", datetime(2025, 3, 1, 9, 30, tzinfo=UTC)),
            CustomField("custentity_tier", "select", "3"),
            CustomField("custentity_regions", "multiselect", ("3", "1")),
        ),
    )


def minimal_customer() -> Customer:
    return Customer(external_id="CUST-0002")


def full_sales_order(text: str = "Imported") -> SalesOrder:
    return SalesOrder(
        external_id="SO-0001",
        entity=RecordRef(external_id="CUST-0001"),
        tran_date=date(2025, 3, 1),
        order_status="_pendingFulfillment",
        other_ref_num="PO-98765",
        memo=text,
        custom_form=RecordRef(internal_id="68"),
        subsidiary=RecordRef(internal_id="1"),
        currency=RecordRef(internal_id="1"),
        lines=tuple(
            SalesOrderLine(
                item=RecordRef(external_id=f"SKU-{i}", type="inventoryItem"),
                quantity=Decimal(i + 1),
                rate=Decimal("19.99"),
                price=RecordRef(internal_id="-1"),
                description=text,
                custom_fields=(
                    CustomField("custcol_note", "string", text),
                    CustomField("custcol_regions", "multiselect", ("7",)),
                ),
            )
            for i in range(3)
        ),
        custom_fields=(
            CustomField("custbody_sf_id", "string", "8015g00000XyZab"),
            CustomField("custbody_rush", "boolean", False),
            CustomField("custbody_channel", "select", "12"),
            CustomField("custbody_tags", "multiselect", ("12", "4", "9")),
        ),
    )


def discounted_sales_order() -> SalesOrder:
    return SalesOrder(
        external_id="SO-0003",
        entity=RecordRef(external_id="CUST-0001"),
        lines=(
            SalesOrderLine(
                item=RecordRef(external_id="SKU-1", type="inventoryItem"),
                quantity=Decimal("2"),
                rate=Decimal("10.00"),
                price=RecordRef(internal_id="-1"),
            ),
            SalesOrderLine(item=RecordRef(external_id="SUBTOTAL", type="subtotalItem")),
            SalesOrderLine(item=RecordRef(external_id="DISC-10", type="discountItem"), rate=Decimal("-5.00")),
        ),
    )


def minimal_sales_order() -> SalesOrder:
    return SalesOrder(
        external_id="SO-0002",
        entity=RecordRef(internal_id="4711"),
        lines=(SalesOrderLine(item=RecordRef(internal_id="99"), quantity=Decimal("1")),),
    )


def build(records: list[NetSuiteRecord], version: str = "2025_2", **kwargs: Preferences) -> bytes:
    encoder = RecordEncoder(version)
    return build_upsert_list([encoder.encode(r).xml for r in records], passport(), version=version, **kwargs)


def parse(body: bytes) -> etree._Element:
    return etree.fromstring(body)


def records_of(root: etree._Element, version: str = "2025_2") -> list[etree._Element]:
    ns = namespaces(version)
    return root.findall(f"{{{SOAP_ENV}}}Body/{{{ns.messages}}}upsertList/{{{ns.messages}}}record")


SHAPES: dict[str, Callable[[], list[NetSuiteRecord]]] = {
    "customer-minimal": lambda: [minimal_customer()],
    "customer-full": lambda: [full_customer(UNICODE)],
    "customer-individual": lambda: [
        replace(
            full_customer(UNICODE), is_person=True, company_name=None, first_name="María", last_name="García"
        )
    ],
    "sales-order-minimal": lambda: [minimal_sales_order()],
    "sales-order-full": lambda: [full_sales_order(HOSTILE)],
    "sales-order-discounted": lambda: [discounted_sales_order()],
    "mixed": lambda: [full_customer(), minimal_customer(), full_sales_order(), minimal_sales_order()],
}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_is_schema_valid(shape: str, version: str) -> None:
    assert soap_validator()(build(SHAPES[shape](), version)) == []


@pytest.mark.parametrize(
    "preferences",
    [
        Preferences(),
        Preferences(None, None, None, None),
        Preferences(True, False, False, True),
    ],
)
def test_preferences_variants_are_schema_valid(preferences: Preferences) -> None:
    body = build([minimal_customer()], preferences=preferences)
    assert soap_validator()(body) == []
    ns = namespaces("2025_2")
    element = parse(body).find(f"{{{SOAP_ENV}}}Header/{{{ns.messages}}}preferences")
    sent = {etree.QName(e).localname: e.text for e in ([] if element is None else element)}
    expected = {
        "warningAsError": preferences.warning_as_error,
        "ignoreReadOnlyFields": preferences.ignore_read_only_fields,
        "runServerSuiteScriptAndTriggerWorkflows": preferences.run_server_suite_script_and_trigger_workflows,
        "disableSystemNotesForCustomFields": preferences.disable_system_notes_for_custom_fields,
    }
    assert sent == {k: str(v).lower() for k, v in expected.items() if v is not None}


def test_an_individual_sends_its_first_and_last_name_before_any_company_name() -> None:
    person = replace(full_customer(), is_person=True, first_name="Jean-Luc", last_name="Picard")
    (record,) = records_of(parse(build([person])))
    names = [etree.QName(child).localname for child in record]
    assert names[names.index("isPerson") : names.index("companyName") + 1] == [
        "isPerson",
        "firstName",
        "lastName",
        "companyName",
    ]
    assert record.findtext(f"{{{namespaces('2025_2').relationships}}}firstName") == "Jean-Luc"


def test_http_constants() -> None:
    assert SOAP_ACTION_UPSERT_LIST == '"upsertList"'
    assert CONTENT_TYPE == "text/xml; charset=utf-8"


@pytest.mark.parametrize("version", VERSIONS)
def test_root_declares_every_prefix_once_and_fragments_declare_none(version: str) -> None:
    encoded = RecordEncoder(version).encode(full_customer())
    assert b"xmlns" not in encoded.xml
    body = build_upsert_list([encoded.xml], passport(), version=version)
    assert body.count(b"xmlns:") == 7
    ns = namespaces(version)
    assert parse(body).nsmap == {
        "soapenv": SOAP_ENV,
        "xsi": XSI,
        "platformMsgs": ns.messages,
        "platformCore": ns.core,
        "platformCommon": ns.common,
        "listRel": ns.relationships,
        "tranSales": ns.sales,
    }


def test_only_the_passport_changes_between_attempts() -> None:
    fragments = [RecordEncoder("2025_2").encode(r).xml for r in (full_customer(), full_sales_order())]
    first = build_upsert_list(fragments, passport(nonce="aaaaaaaaaaaa"), version="2025_2")
    second = build_upsert_list(fragments, passport(nonce="bbbbbbbbbbbb"), version="2025_2")
    assert first != second
    assert first.split(b"</soapenv:Header>")[1] == second.split(b"</soapenv:Header>")[1]
    assert b"".join(fragments) in first


def test_token_passport_is_in_the_core_namespace_and_escaped() -> None:
    body = build_upsert_list(
        [RecordEncoder("2025_2").encode(minimal_customer()).xml],
        passport(token="a&b<c>", signature="s+/="),
        version="2025_2",
    )
    assert soap_validator()(body) == []
    ns = namespaces("2025_2")
    tp = parse(body).find(f"{{{SOAP_ENV}}}Header/{{{ns.messages}}}tokenPassport")
    assert tp is not None
    assert [(etree.QName(e).namespace, etree.QName(e).localname, e.text) for e in tp] == [
        (ns.core, "account", "1234567_SB1"),
        (ns.core, "consumerKey", "ck-abc"),
        (ns.core, "token", "a&b<c>"),
        (ns.core, "nonce", "n0nce1234567"),
        (ns.core, "timestamp", "1740787200"),
        (ns.core, "signature", "s+/="),
    ]
    assert tp[5].get("algorithm") == "HMAC_SHA256"


def test_passport_with_forbidden_characters_is_refused_without_echoing_it() -> None:
    secret = "top\x00secret"
    with pytest.raises(ValueError, match="token") as info:
        build_upsert_list([b"<x/>"], passport(token=secret), version="2025_2")
    assert "secret" not in str(info.value)


@pytest.mark.parametrize("text", [HOSTILE, UNICODE, "a\tb\nc\rd", "  padded  ", "&amp;"])
def test_text_values_round_trip_exactly(text: str) -> None:
    customer = full_customer(text)
    order = full_sales_order(text)
    root = parse(build([customer, order]))
    ns = namespaces("2025_2")
    rel, sales, common, core = (
        f"{{{ns.relationships}}}",
        f"{{{ns.sales}}}",
        f"{{{ns.common}}}",
        f"{{{ns.core}}}",
    )
    cust_el, so_el = records_of(root)
    assert cust_el.findtext(f"{rel}companyName") == text
    assert (
        cust_el.findtext(f"{rel}addressbookList/{rel}addressbook/{rel}addressbookAddress/{common}addressee")
        == text
    )
    assert cust_el.findall(f"{rel}addressbookList/{rel}addressbook")[1].findtext(f"{rel}label") == text
    assert cust_el.findtext(f"{rel}customFieldList/{core}customField/{core}value") == text
    assert so_el.findtext(f"{sales}memo") == text
    lines = so_el.findall(f"{sales}itemList/{sales}item")
    assert [line.findtext(f"{sales}description") for line in lines] == [text] * 3
    assert lines[0].findtext(f"{sales}customFieldList/{core}customField/{core}value") == text


def test_hostile_identifiers_are_inert_attribute_values() -> None:
    external_id = '"/><platformMsgs:record xsi:type="listRel:Customer" externalId="evil'
    customer = Customer(external_id=external_id, subsidiary=RecordRef(external_id="a&b'\"<>"))
    root = parse(build([customer]))
    (record,) = records_of(root)
    assert record.get("externalId") == external_id
    assert dict(record.items()) == {f"{{{XSI}}}type": "listRel:Customer", "externalId": external_id}
    subsidiary = record.find(f"{{{namespaces('2025_2').relationships}}}subsidiary")
    assert subsidiary is not None
    assert subsidiary.get("externalId") == "a&b'\"<>"


def test_upserted_record_never_carries_an_internal_id() -> None:
    root = parse(build([full_customer(), full_sales_order()]))
    for record in records_of(root):
        assert record.get("internalId") is None
        assert record.get("externalId")


def test_forbidden_characters_are_removed_and_reported_by_path() -> None:
    bad = "ok\x00\x1b\ufffe\ud800done"
    customer = Customer(
        external_id="C-1",
        company_name=bad,
        email="clean@example.com",
        addressbook=(
            AddressbookEntry(Address(city="Austin")),
            AddressbookEntry(Address(city=bad, addr1="fine"), label=bad),
        ),
        custom_fields=(CustomField("custentity_note", "string", bad),),
    )
    order = SalesOrder(
        external_id="SO-1",
        entity=RecordRef(external_id="C-1"),
        memo=bad,
        lines=(
            SalesOrderLine(item=RecordRef(internal_id="1"), quantity=Decimal(1), description="fine"),
            SalesOrderLine(
                item=RecordRef(internal_id="2"),
                quantity=Decimal(1),
                description=bad,
                custom_fields=(CustomField("custcol_x", "string", bad),),
            ),
        ),
    )
    encoder = RecordEncoder("2025_2")
    encoded_customer, encoded_order = encoder.encode(customer), encoder.encode(order)
    assert encoded_customer.removed_characters == (
        "companyName",
        "addressbookList[1].label",
        "addressbookList[1].addressbookAddress.city",
        "customFieldList[custentity_note]",
    )
    assert encoded_order.removed_characters == (
        "memo",
        "itemList[1].description",
        "itemList[1].customFieldList[custcol_x]",
    )
    body = build_upsert_list([encoded_customer.xml, encoded_order.xml], passport(), version="2025_2")
    assert soap_validator()(body) == []
    text = body.decode()
    assert "okdone" in text
    for char in "\x00\x1b\ufffe\ud800":
        assert char not in text


def test_clean_records_report_nothing_removed() -> None:
    encoder = RecordEncoder("2025_2")
    assert encoder.encode(full_customer(UNICODE)).removed_characters == ()
    assert encoder.encode(full_sales_order(HOSTILE)).removed_characters == ()


@pytest.mark.parametrize(
    "record",
    [
        Customer(external_id="C\x00-1"),
        Customer(external_id="C-1", subsidiary=RecordRef(internal_id="1\x01")),
        Customer(external_id="C-1", custom_fields=(CustomField("custentity\x02", "string", "x"),)),
        Customer(external_id="C-1", custom_fields=(CustomField("custentity_s", "select", "4\x03"),)),
        SalesOrder(external_id="SO-1", entity=RecordRef(external_id="C-1", type="cust\x04omer")),
    ],
)
def test_forbidden_characters_in_identifiers_are_refused(record: NetSuiteRecord) -> None:
    with pytest.raises(RecordEncodingError):
        RecordEncoder("2025_2").encode(record)


def test_encoded_record_metadata() -> None:
    encoder = RecordEncoder("2025_2")
    customer = encoder.encode(full_customer())
    order = encoder.encode(full_sales_order())
    assert (customer.external_id, customer.record_type, customer.line_count) == ("CUST-0001", "customer", 0)
    assert (order.external_id, order.record_type, order.line_count) == ("SO-0001", "salesOrder", 3)
    assert customer.xml.startswith(
        b'<platformMsgs:record xsi:type="listRel:Customer" externalId="CUST-0001">'
    )
    assert order.xml.endswith(b"</platformMsgs:record>")


def test_missing_external_id_is_refused() -> None:
    with pytest.raises(RecordEncodingError, match="externalId"):
        RecordEncoder("2025_2").encode(Customer(external_id=""))


def tran_date_of(order: SalesOrder) -> str | None:
    (record,) = records_of(parse(build([order])))
    return record.findtext(f"{{{namespaces('2025_2').sales}}}tranDate")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2025, 3, 1), "2025-03-01T12:00:00.000Z"),
        (datetime(2025, 3, 1, tzinfo=UTC), "2025-03-01T00:00:00.000Z"),
        (
            datetime(2025, 3, 1, 0, 30, 15, 987654, tzinfo=timezone(timedelta(hours=-8))),
            "2025-03-01T08:30:15.987Z",
        ),
        (datetime(2025, 3, 1, 7, tzinfo=timezone(timedelta(hours=9))), "2025-02-28T22:00:00.000Z"),
    ],
)
def test_tran_date_format(value: date, expected: str) -> None:
    order = SalesOrder(external_id="SO-1", entity=RecordRef(internal_id="1"), tran_date=value)
    assert tran_date_of(order) == expected


def test_naive_datetimes_are_refused() -> None:
    order = SalesOrder(external_id="SO-1", entity=RecordRef(internal_id="1"), tran_date=datetime(2025, 3, 1))
    with pytest.raises(RecordEncodingError, match="tranDate"):
        RecordEncoder("2025_2").encode(order)
    customer = Customer(
        external_id="C-1", custom_fields=(CustomField("custentity_d", "date", datetime(2025, 3, 1)),)
    )
    with pytest.raises(RecordEncodingError, match="custentity_d"):
        RecordEncoder("2025_2").encode(customer)


@pytest.mark.parametrize(
    ("quantity", "rate", "expected_quantity", "expected_rate"),
    [
        (Decimal("2"), Decimal("19.99"), "2", "19.99"),
        (Decimal("2.50"), Decimal("1E+2"), "2.50", "100"),
        (Decimal("1E+3"), Decimal("1.5E-7"), "1000", "0.00000015"),
        (Decimal("-0.0"), Decimal("-3.14159265358979323846"), "-0.0", "-3.14159265358979323846"),
    ],
)
def test_numbers_are_written_plainly(
    quantity: Decimal, rate: Decimal, expected_quantity: str, expected_rate: str
) -> None:
    line = SalesOrderLine(item=RecordRef(internal_id="1"), quantity=quantity, rate=rate)
    order = SalesOrder(external_id="SO-1", entity=RecordRef(internal_id="1"), lines=(line,))
    body = build([order])
    assert soap_validator()(body) == []
    sales = f"{{{namespaces('2025_2').sales}}}"
    (record,) = records_of(parse(body))
    item = record.find(f"{sales}itemList/{sales}item")
    assert item is not None
    assert item.findtext(f"{sales}quantity") == expected_quantity
    assert item.findtext(f"{sales}rate") == expected_rate


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("sNaN")])
def test_non_finite_numbers_are_refused(bad: Decimal) -> None:
    line = SalesOrderLine(item=RecordRef(internal_id="1"), quantity=Decimal(1), rate=bad)
    with pytest.raises(RecordEncodingError, match=r"itemList\[0\]\.rate"):
        RecordEncoder("2025_2").encode(
            SalesOrder(external_id="SO-1", entity=RecordRef(internal_id="1"), lines=(line,))
        )


def test_custom_field_shapes() -> None:
    root = parse(build([full_customer()]))
    ns = namespaces("2025_2")
    core = f"{{{ns.core}}}"
    (record,) = records_of(root)
    fields = record.findall(f"{{{ns.relationships}}}customFieldList/{core}customField")
    shapes = [(f.get(f"{{{XSI}}}type"), f.get("scriptId"), f.findtext(f"{core}value")) for f in fields]
    assert shapes == [
        ("platformCore:StringCustomFieldRef", "custentity_text", "Acme Corp"),
        ("platformCore:BooleanCustomFieldRef", "custentity_flag", "true"),
        ("platformCore:LongCustomFieldRef", "custentity_count", str(-(2**63))),
        ("platformCore:DoubleCustomFieldRef", "custentity_score", "12.5"),
        ("platformCore:DateCustomFieldRef", "custentity_since", "2025-03-01T09:30:00.000Z"),
        ("platformCore:SelectCustomFieldRef", "custentity_tier", ""),
        ("platformCore:MultiSelectCustomFieldRef", "custentity_regions", ""),
    ]
    select_value = fields[5].find(f"{core}value")
    assert select_value is not None
    assert dict(select_value.items()) == {"internalId": "3"}
    assert [dict(v.items()) for v in fields[6].findall(f"{core}value")] == [
        {"internalId": "3"},
        {"internalId": "1"},
    ]


@pytest.mark.parametrize(
    "field",
    [
        CustomField("custentity_x", "string", 5),
        CustomField("custentity_x", "boolean", "true"),
        CustomField("custentity_x", "long", True),
        CustomField("custentity_x", "long", 2**63),
        CustomField("custentity_x", "double", True),
        CustomField("custentity_x", "double", "1.5"),
        CustomField("custentity_x", "date", "2025-03-01"),
        CustomField("custentity_x", "select", 3),
        CustomField("custentity_x", "select", ("3",)),
        CustomField("custentity_x", "multiselect", "3"),
        CustomField("custentity_x", "multiselect", ()),
        CustomField("custentity_x", "percent", "5"),  # type: ignore[arg-type]
    ],
)
def test_custom_field_values_must_match_their_kind(field: CustomField) -> None:
    with pytest.raises(RecordEncodingError, match="custentity_x"):
        RecordEncoder("2025_2").encode(Customer(external_id="C-1", custom_fields=(field,)))


def test_enum_values_are_checked_before_sending() -> None:
    encoder = RecordEncoder("2025_2")
    with pytest.raises(RecordEncodingError, match=r"addressbookList\[0\]\.addressbookAddress\.country"):
        encoder.encode(Customer(external_id="C-1", addressbook=(AddressbookEntry(Address(country="US")),)))
    with pytest.raises(RecordEncodingError, match="orderStatus"):
        encoder.encode(SalesOrder(external_id="S-1", entity=RecordRef(internal_id="1"), order_status="open"))


def test_entity_by_external_id_defaults_to_customer_type() -> None:
    sales = f"{{{namespaces('2025_2').sales}}}"
    by_external = SalesOrder(external_id="S-1", entity=RecordRef(external_id="C-1"))
    by_job = SalesOrder(external_id="S-2", entity=RecordRef(external_id="J-1", type="job"))
    by_internal = SalesOrder(external_id="S-3", entity=RecordRef(internal_id="7"))
    entities = [
        r.find(f"{sales}entity") for r in records_of(parse(build([by_external, by_job, by_internal])))
    ]
    assert [None if e is None else dict(e.items()) for e in entities] == [
        {"externalId": "C-1", "type": "customer"},
        {"externalId": "J-1", "type": "job"},
        {"internalId": "7"},
    ]


def test_reference_without_any_id_is_refused() -> None:
    with pytest.raises(RecordEncodingError, match="subsidiary"):
        RecordEncoder("2025_2").encode(Customer(external_id="C-1", subsidiary=RecordRef(type="subsidiary")))


def test_empty_sublists_are_not_sent_so_netsuite_keeps_them() -> None:
    body = build(
        [Customer(external_id="C-1"), SalesOrder(external_id="S-1", entity=RecordRef(internal_id="1"))]
    )
    assert b"addressbookList" not in body
    assert b"itemList" not in body
    assert b"customFieldList" not in body


def test_sublists_that_are_sent_replace_the_whole_list() -> None:
    body = build([full_customer(), full_sales_order()])
    assert body.count(b'<listRel:addressbookList replaceAll="true">') == 1
    assert body.count(b'<tranSales:itemList replaceAll="true">') == 1


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="version"):
        RecordEncoder("v2025.2")
    with pytest.raises(ValueError, match="version"):
        build_upsert_list([b"<x/>"], passport(), version="latest")
    with pytest.raises(ValueError, match="at least one"):
        build_upsert_list([], passport(), version="2025_2")
    with pytest.raises(ValueError, match="algorithm"):
        build_upsert_list(
            [b"<x/>"], TokenPassport("a", "b", "c", "d", 1, "e", algorithm="RSA"), version="2025_2"
        )
    with pytest.raises(TypeError):
        RecordEncoder("2025_2").encode(object())  # type: ignore[arg-type]


def test_encoding_error_is_permanent_and_a_value_error() -> None:
    assert issubclass(RecordEncodingError, PermanentError)
    assert issubclass(RecordEncodingError, ValueError)


@pytest.mark.parametrize(
    ("build", "operation"),
    [
        (build_get_server_time, "getServerTime"),
        (build_get_account_governance_info, "getAccountGovernanceInfo"),
        (build_get_integration_governance_info, "getIntegrationGovernanceInfo"),
    ],
)
@pytest.mark.parametrize("version", VERSIONS)
def test_calls_without_arguments_are_schema_valid_empty_and_signed_like_upsert_list(
    build: Callable[..., bytes], operation: str, version: str
) -> None:
    body = build(passport(), version=version)
    assert soap_validator()(body) == []
    ns = namespaces(version)
    root = parse(body)
    assert root.find(f"{{{SOAP_ENV}}}Header/{{{ns.messages}}}tokenPassport") is not None
    (request,) = list(root.iterfind(f"{{{SOAP_ENV}}}Body/*"))
    assert (request.tag, len(request)) == (f"{{{ns.messages}}}{operation}", 0)


@pytest.mark.parametrize(
    ("key", "attribute"),
    [({"external_id": "SF_ACCT_001"}, "externalId"), ({"internal_id": "42"}, "internalId")],
)
def test_get_is_schema_valid_and_names_one_record(key: dict[str, str], attribute: str) -> None:
    body = build_get(passport(), version="2025_2", record_type="customer", **key)
    assert soap_validator()(body) == []
    ns = namespaces("2025_2")
    (ref,) = parse(body).iterfind(f"{{{SOAP_ENV}}}Body/{{{ns.messages}}}get/{{{ns.messages}}}baseRef")
    assert ref.get(f"{{{XSI}}}type") == "platformCore:RecordRef"
    assert ref.get("type") == "customer"
    assert ref.get(attribute) == next(iter(key.values()))


def test_get_needs_exactly_one_key_and_refuses_hostile_ones() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        build_get(passport(), version="2025_2", record_type="customer")
    with pytest.raises(ValueError, match="exactly one"):
        build_get(passport(), version="2025_2", record_type="customer", external_id="A", internal_id="1")
    with pytest.raises(RecordEncodingError, match="externalId"):
        build_get(passport(), version="2025_2", record_type="customer", external_id="A\x00B")
    quoted = build_get(passport(), version="2025_2", record_type="customer", external_id='A"/><x y="')
    assert soap_validator()(quoted) == []


def test_get_select_value_is_schema_valid_and_pages_from_one() -> None:
    body = build_get_select_value(
        passport(), version="2025_2", record_type="salesOrder", field="customForm", page_index=2
    )
    assert soap_validator()(body) == []
    ns = namespaces("2025_2")
    (request,) = parse(body).iterfind(f"{{{SOAP_ENV}}}Body/{{{ns.messages}}}getSelectValue")
    assert request.findtext(f"{{{ns.messages}}}fieldDescription/{{{ns.core}}}field") == "customForm"
    assert request.findtext(f"{{{ns.messages}}}pageIndex") == "2"
    with pytest.raises(ValueError, match="from 1"):
        build_get_select_value(
            passport(), version="2025_2", record_type="customer", field="customForm", page_index=0
        )


def test_discount_and_subtotal_lines_go_without_quantity_or_price_level() -> None:
    ns = namespaces("2025_2")
    sales = f"{{{ns.sales}}}"
    (record,) = records_of(parse(build([discounted_sales_order()])))
    lines = record.findall(f"{sales}itemList/{sales}item")
    shapes = [
        (
            dict(line.find(f"{sales}item").items()),  # type: ignore[union-attr]
            [etree.QName(child).localname for child in line],
            line.findtext(f"{sales}rate"),
        )
        for line in lines
    ]
    assert shapes == [
        ({"externalId": "SKU-1", "type": "inventoryItem"}, ["item", "quantity", "price", "rate"], "10.00"),
        ({"externalId": "SUBTOTAL", "type": "subtotalItem"}, ["item"], None),
        ({"externalId": "DISC-10", "type": "discountItem"}, ["item", "rate"], "-5.00"),
    ]
