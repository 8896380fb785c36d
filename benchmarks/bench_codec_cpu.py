"""Client CPU per record of the NetSuite SOAP codec, beside zeep building the same requests.

    .venv/bin/python benchmarks/bench_codec_cpu.py

Figures are CPU microseconds per record (``time.process_time``), best of several repeats of loops
long enough to swamp timer resolution. Records are the load-test ones of ``bulk_o2c.synthetic``
(full address, non-ASCII and XML-special names) with a currency, a custom field and line
descriptions added, as mapped Salesforce records carry:
- build customer / build sales order (5 lines): encode 100 typed records and wrap them in one
  upsertList envelope, divided by 100 (envelope cost included, amortised as in real chunks);
- parse response: one 100-record upsertListResponse (successes, warnings, errors), divided by 100;
- zeep 4.3 (when ../shared has the 2023_2 WSDL and zeep is installed): ``create_message`` for the
  same 100 records with tokenPassport and preferences headers, serialized to bytes. zeep's record
  objects are built before timing starts, so its figure is a lower bound; WSDL loading is reported
  separately as a one-off.
Results go to benchmarks/results/codec_cpu.json.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from lxml import etree

from bulk_o2c.protocol.netsuite.envelope import Preferences, RecordEncoder, build_upsert_list
from bulk_o2c.protocol.netsuite.passport import TokenPassport
from bulk_o2c.protocol.netsuite.records import Customer, CustomField, NetSuiteRecord, RecordRef, SalesOrder
from bulk_o2c.protocol.netsuite.response import parse_upsert_list_response
from bulk_o2c.synthetic import synthetic_customer, synthetic_sales_order

REPO = Path(__file__).resolve().parents[1]
WSDL = REPO.parent / "shared" / "netsuite-wsdl-2023_2" / "netsuite.wsdl"
RESULTS = REPO / "benchmarks" / "results" / "codec_cpu.json"
CHUNK = 100
LINES = 5
PREFIX = "BENCH_"
VERSION = "2023_2"  # the WSDL zeep loads; our codec costs the same for any version
PASSPORT = TokenPassport("1234567_SB1", "ck" * 32, "tk" * 32, "n0nce" * 4, 1_740_787_200, "c2ln" * 11)
PREFERENCES = Preferences(warning_as_error=False, ignore_read_only_fields=True)


def customer(i: int) -> Customer:
    return replace(
        synthetic_customer(PREFIX, i),
        currency=RecordRef(internal_id="1"),
        custom_fields=(CustomField("custentity_sf_account_id", "string", f"0015g00000{i:08d}"),),
    )


def sales_order(i: int) -> SalesOrder:
    order = synthetic_sales_order(PREFIX, i, lines=LINES)
    return replace(
        order,
        lines=tuple(replace(line, description=f"Widget model {n}") for n, line in enumerate(order.lines)),
        custom_fields=(CustomField("custbody_sf_order_id", "string", f"8015g00000{i:08d}"),),
    )


def response_body() -> bytes:
    core = 'xmlns:platformCore="urn:core_2023_2.platform.webservices.netsuite.com"'

    def detail(type_: str, code: str, message: str) -> str:
        return (
            f'<platformCore:statusDetail type="{type_}"><platformCore:code>{code}</platformCore:code>'
            f"<platformCore:message>{message}</platformCore:message></platformCore:statusDetail>"
        )

    parts = []
    for i in range(CHUNK):
        if i % 10 == 0:  # one error and one warning in every ten records
            inner = detail("ERROR", "INVALID_KEY_OR_REF", f"Invalid item reference key SKU-{i}.")
            status = f'<platformCore:status isSuccess="false" {core}>{inner}</platformCore:status>'
        elif i % 10 == 1:
            inner = detail("WARN", "WARNING", "Duplicate phone number.")
            status = f'<platformCore:status isSuccess="true" {core}>{inner}</platformCore:status>'
        else:
            status = f'<platformCore:status isSuccess="true" {core}/>'
        ref = f'internalId="{1000 + i}" externalId="SO-{i:07d}" type="salesOrder"'
        base_ref = f'<baseRef {ref} xsi:type="platformCore:RecordRef" {core}/>'
        parts.append(f"<writeResponse>{status}{base_ref}</writeResponse>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap'
        '/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><upsertListResponse '
        'xmlns="urn:messages_2023_2.platform.webservices.netsuite.com"><writeResponseList>'
        + "".join(parts)
        + "</writeResponseList></upsertListResponse></soapenv:Body></soapenv:Envelope>"
    ).encode()


def cpu_us_per_record(
    work: Callable[[], object], records: int, min_seconds: float = 0.4, repeats: int = 5
) -> float:
    loops = 1
    while True:
        start = time.process_time()
        for _ in range(loops):
            work()
        if time.process_time() - start >= min_seconds / repeats or loops >= 1 << 20:
            break
        loops *= 2
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(loops):
            work()
        best = min(best, (time.process_time() - start) / loops)
    return round(best / records * 1e6, 2)


def build_chunk(records: list[NetSuiteRecord]) -> Callable[[], bytes]:
    encoder = RecordEncoder(VERSION)

    def work() -> bytes:
        fragments = [encoder.encode(r).xml for r in records]
        return build_upsert_list(fragments, PASSPORT, version=VERSION, preferences=PREFERENCES)

    return work


class Zeep:
    """The same requests through zeep, from the 2023_2 WSDL."""

    def __init__(self) -> None:
        import zeep

        start = time.process_time()
        self.client = zeep.Client(wsdl=str(WSDL))  # type: ignore[no-untyped-call]
        self.wsdl_load_s = time.process_time() - start
        # zeep is untyped: everything it returns is Any.
        factory: Any = self.client.type_factory
        self.core = factory("urn:core_2023_2.platform.webservices.netsuite.com")
        self.common = factory("urn:common_2023_2.platform.webservices.netsuite.com")
        self.rel = factory("urn:relationships_2023_2.lists.webservices.netsuite.com")
        self.sales = factory("urn:sales_2023_2.transactions.webservices.netsuite.com")
        self.msgs = factory("urn:messages_2023_2.platform.webservices.netsuite.com")

    def ref(self, ref: RecordRef | None) -> Any:
        if ref is None:
            return None
        return self.core.RecordRef(internalId=ref.internal_id, externalId=ref.external_id, type=ref.type)

    def custom_fields(self, fields: tuple[CustomField, ...]) -> Any:
        return self.core.CustomFieldList(
            customField=[self.core.StringCustomFieldRef(scriptId=f.script_id, value=f.value) for f in fields]
        )

    def customer(self, c: Customer) -> Any:
        entry = c.addressbook[0]
        a = entry.address
        address = self.common.Address(
            country=a.country,
            addressee=a.addressee,
            addr1=a.addr1,
            addr2=a.addr2,
            city=a.city,
            state=a.state,
            zip=a.zip,
        )
        book = self.rel.CustomerAddressbook(
            defaultShipping=entry.default_shipping,
            defaultBilling=entry.default_billing,
            label=entry.label,
            addressbookAddress=address,
        )
        return self.rel.Customer(
            externalId=c.external_id,
            isPerson=c.is_person,
            companyName=c.company_name,
            phone=c.phone,
            email=c.email,
            customForm=self.ref(c.custom_form),
            subsidiary=self.ref(c.subsidiary),
            currency=self.ref(c.currency),
            addressbookList=self.rel.CustomerAddressbookList(addressbook=[book], replaceAll=True),
            customFieldList=self.custom_fields(c.custom_fields),
        )

    def sales_order(self, so: SalesOrder) -> Any:
        items = [
            self.sales.SalesOrderItem(
                item=self.ref(line.item),
                quantity=float(line.quantity),
                description=line.description,
                price=self.ref(line.price),
                rate=format(line.rate, "f") if line.rate is not None else None,
            )
            for line in so.lines
        ]
        return self.sales.SalesOrder(
            externalId=so.external_id,
            entity=self.ref(so.entity),
            tranDate=so.tran_date,
            orderStatus=so.order_status,
            otherRefNum=so.other_ref_num,
            memo=so.memo,
            customForm=self.ref(so.custom_form),
            subsidiary=self.ref(so.subsidiary),
            itemList=self.sales.SalesOrderItemList(item=items, replaceAll=True),
            customFieldList=self.custom_fields(so.custom_fields),
        )

    def build_chunk(self, objects: list[Any]) -> Callable[[], bytes]:
        p = PASSPORT
        passport = self.core.TokenPassport(
            account=p.account,
            consumerKey=p.consumer_key,
            token=p.token,
            nonce=p.nonce,
            timestamp=p.timestamp,
            signature=self.core.TokenPassportSignature(p.signature, algorithm=p.algorithm),
        )
        preferences = self.msgs.Preferences(warningAsError=False, ignoreReadOnlyFields=True)
        client = self.client

        def work() -> bytes:
            message = client.create_message(  # type: ignore[no-untyped-call]
                client.service,
                "upsertList",
                record=objects,
                _soapheaders={"tokenPassport": passport, "preferences": preferences},
            )
            return etree.tostring(message)

        return work


def main() -> int:
    customers: list[NetSuiteRecord] = [customer(i) for i in range(CHUNK)]
    orders: list[NetSuiteRecord] = [sales_order(i) for i in range(CHUNK)]
    response = response_body()
    assert len(parse_upsert_list_response(response)) == CHUNK

    ours = {
        "build_customer": cpu_us_per_record(build_chunk(customers), CHUNK),
        "build_sales_order_5_lines": cpu_us_per_record(build_chunk(orders), CHUNK),
        "parse_response_100": cpu_us_per_record(lambda: parse_upsert_list_response(response), CHUNK),
    }
    print(f"bulk-o2c build customer:              {ours['build_customer']:8.1f} us/record")
    print(f"bulk-o2c build sales order (5 lines): {ours['build_sales_order_5_lines']:8.1f} us/record")
    print(f"bulk-o2c parse response (100 records):{ours['parse_response_100']:8.1f} us/record")

    result: dict[str, Any] = {
        "unit": "CPU microseconds per record (time.process_time, best of 3-5 repeats)",
        "chunk_records": CHUNK,
        "python": platform.python_version(),
        "lxml": ".".join(map(str, etree.LXML_VERSION)),
        "bulk_o2c": ours,
        "zeep": None,
    }
    zeep_figures = run_zeep(customers, orders, ours)
    if zeep_figures is not None:
        result["zeep"] = zeep_figures
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(REPO)}")
    return 0


def run_zeep(
    customers: list[NetSuiteRecord], orders: list[NetSuiteRecord], ours: dict[str, float]
) -> dict[str, Any] | None:
    if not WSDL.is_file():
        print(f"zeep comparison skipped: NetSuite WSDL not found at {WSDL}")
        return None
    try:
        import zeep
    except ImportError:
        print("zeep comparison skipped: zeep is not installed (pip install '.[bench]')")
        return None
    z = Zeep()
    zeep_customers = [z.customer(c) for c in customers if isinstance(c, Customer)]
    zeep_orders = [z.sales_order(o) for o in orders if isinstance(o, SalesOrder)]
    figures: dict[str, Any] = {
        "version": zeep.__version__,
        "wsdl_load_s": round(z.wsdl_load_s, 3),
        "build_customer": cpu_us_per_record(z.build_chunk(zeep_customers), CHUNK, repeats=3),
        "build_sales_order_5_lines": cpu_us_per_record(z.build_chunk(zeep_orders), CHUNK, repeats=3),
    }
    print(f"zeep {zeep.__version__} WSDL load (one-off):       {figures['wsdl_load_s']:8.2f} s")
    for key, label in (
        ("build_customer", "customer"),
        ("build_sales_order_5_lines", "sales order (5 lines)"),
    ):
        figures[f"ratio_{key}"] = round(figures[key] / ours[key], 1)
        print(f"zeep build {label}: {figures[key]:8.1f} us/record  ({figures[f'ratio_{key}']}x bulk-o2c)")
    return figures


if __name__ == "__main__":
    sys.exit(main())
