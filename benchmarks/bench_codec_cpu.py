"""Client CPU per record for each stage of the pipeline, beside zeep building and parsing the same SOAP.

    .venv/bin/python benchmarks/bench_codec_cpu.py

Figures are CPU microseconds per record (``time.process_time``), best of five rounds of loops
long enough to swamp timer resolution, for customers and for sales orders of 5 lines. bulk-o2c's
and zeep's build and parse are timed in turns within each round, so a shared machine that changes
speed during the run weighs on both sides of the ratio alike:
- CSV parse: Bulk API 2.0 result pages as the Salesforce sandbox writes them (every value quoted;
  its hazards included: quotes, line breaks, non-ASCII), 5,000 rows a page, fed to
  ``CsvPageReader`` in 64 KiB network chunks; a sales order is its Order row plus its 5 OrderItem rows;
- map: ``map_account`` / ``map_order`` on those rows as dicts (default mapping settings);
- build customer / build sales order (5 lines): encode 100 typed records and wrap them in one
  upsertList envelope, divided by 100 (envelope cost included, amortised as in real chunks).
  Records are the load-test ones of ``bulk_o2c.synthetic`` (full address, non-ASCII and
  XML-special names) with a currency, a custom field and line descriptions added, as mapped
  Salesforce records carry;
- parse response: one 100-record upsertListResponse (successes, warnings, errors), paired with the
  100 records sent by key, divided by 100;
- zeep 4.3 (when ../shared has the 2023_2 WSDL and zeep is installed): ``create_message`` for the
  same 100 records with tokenPassport and preferences headers, serialized to bytes, and
  ``process_reply`` of the same response, as zeep runs it after the HTTP call. zeep's record
  objects are built before timing starts, so its build figure is a lower bound; WSDL loading is
  reported separately as a one-off.
Target: bulk-o2c's build + parse at most 1/20 of zeep's, for customers and for 5-line sales orders.
Results go to benchmarks/results/codec_cpu.json.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from _machine import machine  # benchmarks/ is on sys.path when a script in it runs
from lxml import etree

from bulk_o2c.mapping import MappingSettings, map_account, map_order, mapped_columns
from bulk_o2c.protocol.netsuite.envelope import Preferences, RecordEncoder, build_upsert_list
from bulk_o2c.protocol.netsuite.passport import TokenPassport
from bulk_o2c.protocol.netsuite.records import Customer, CustomField, NetSuiteRecord, RecordRef, SalesOrder
from bulk_o2c.protocol.netsuite.response import parse_upsert_list_response
from bulk_o2c.protocol.salesforce.csv_stream import CsvPageReader
from bulk_o2c.sandbox.salesforce.csv_format import CsvDialect
from bulk_o2c.sandbox.salesforce.dataset import Dataset, DatasetSpec
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
PAGE_ROWS = 5_000  # Account and Order rows per CSV page (OrderItem pages hold 5 lines for each)
NETWORK_CHUNK = 64 * 1024


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


# The records the response answers, as the client pairs outcomes with them.
RESPONSE_KEYS = [("salesOrder", f"SO-{i:07d}") for i in range(CHUNK)]


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
        ref = f'internalId="{1000 + i}" externalId="{RESPONSE_KEYS[i][1]}" type="salesOrder"'
        base_ref = f'<baseRef {ref} xsi:type="platformCore:RecordRef" {core}/>'
        parts.append(f"<writeResponse>{status}{base_ref}</writeResponse>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap'
        '/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><upsertListResponse '
        'xmlns="urn:messages_2023_2.platform.webservices.netsuite.com"><writeResponseList>'
        + "".join(parts)
        + "</writeResponseList></upsertListResponse></soapenv:Body></soapenv:Envelope>"
    ).encode()


class SalesforcePages:
    """CSV pages and row dicts of the Salesforce sandbox's data set, in the columns the pipeline selects."""

    def __init__(self) -> None:
        self.dataset = Dataset(
            DatasetSpec(n_accounts=PAGE_ROWS, n_orders=PAGE_ROWS, lines_per_order=(LINES, LINES))
        )
        self.columns = mapped_columns(MappingSettings())
        self.accounts = [self.values("Account", i) for i in range(PAGE_ROWS)]
        self.orders = [self.values("Order", i) for i in range(PAGE_ROWS)]
        self.items = [
            [self.values("OrderItem", order * LINES + line) for line in range(LINES)]
            for order in range(PAGE_ROWS)
        ]

    def values(self, sobject: str, slot: int) -> dict[str, str]:
        row = self.dataset.row(sobject, slot)
        values = {}
        for column in self.columns[sobject]:
            if column == "Product2.ProductCode":
                product = self.dataset.parent_slot(sobject, slot, "Product2")
                values[column] = str(self.dataset.product(product)["ProductCode"])
            else:
                values[column] = row.get(column) or ""
        return values

    def page(self, sobject: str, rows: list[dict[str, str]]) -> bytes:
        dialect = CsvDialect()
        header = dialect.line(self.columns[sobject])
        return (header + "".join(dialect.line(r.values()) for r in rows)).encode()


def read_page(page: bytes) -> Callable[[], int]:
    def work() -> int:
        reader = CsvPageReader()
        rows = 0
        for start in range(0, len(page), NETWORK_CHUNK):
            rows += len(reader.feed(page[start : start + NETWORK_CHUNK]))
        return rows + len(reader.close())

    return work


def _loops_for(work: Callable[[], object], seconds: float) -> int:
    """How many calls of ``work`` take at least ``seconds`` of CPU: long enough to swamp the timer."""
    loops = 1
    while True:
        start = time.process_time()
        for _ in range(loops):
            work()
        if time.process_time() - start >= seconds or loops >= 1 << 20:
            return loops
        loops *= 2


def cpu_us_per_record_in_turns(
    works: dict[str, Callable[[], object]], records: int, min_seconds: float = 0.4, rounds: int = 5
) -> dict[str, float]:
    """Best CPU microseconds per record of each work, timed in turns: every round runs each work
    once, so a machine that slows down or speeds up during the run (it is shared) weighs on all of
    them alike instead of on whichever was measured at the time."""
    loops = {key: _loops_for(work, min_seconds / rounds) for key, work in works.items()}
    best = dict.fromkeys(works, float("inf"))
    for _ in range(rounds):
        for key, work in works.items():
            start = time.process_time()
            for _ in range(loops[key]):
                work()
            best[key] = min(best[key], (time.process_time() - start) / loops[key])
    return {key: round(seconds / records * 1e6, 2) for key, seconds in best.items()}


def cpu_us_per_record(work: Callable[[], object], records: int) -> float:
    return cpu_us_per_record_in_turns({"work": work}, records)["work"]


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
                quantity=None if line.quantity is None else float(line.quantity),
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

    def parse_response(self, body: bytes) -> Callable[[], Any]:
        """zeep's own path from an HTTP answer to Python objects: ``SoapBinding.process_reply``."""
        binding: Any = self.client.service._binding
        operation = binding.get("upsertList")
        response = SimpleNamespace(
            status_code=200, content=body, headers={"Content-Type": "text/xml"}, encoding="utf-8"
        )
        client = self.client

        def work() -> Any:
            return binding.process_reply(client, operation, response)

        return work

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


def stage_figures() -> dict[str, float]:
    """CSV parse and map, per Account and per Order with its 5 lines."""
    pages = SalesforcePages()
    settings = MappingSettings()
    account_page = pages.page("Account", pages.accounts)
    order_page = pages.page("Order", pages.orders)
    item_page = pages.page("OrderItem", [item for items in pages.items for item in items])
    assert read_page(account_page)() == PAGE_ROWS
    assert read_page(item_page)() == PAGE_ROWS * LINES
    figures = {
        "csv_parse_account": cpu_us_per_record(read_page(account_page), PAGE_ROWS),
        "csv_parse_order_5_lines": round(
            cpu_us_per_record(read_page(order_page), PAGE_ROWS)
            + cpu_us_per_record(read_page(item_page), PAGE_ROWS),
            2,
        ),
        "map_account": cpu_us_per_record(
            lambda: [map_account(r, settings) for r in pages.accounts], PAGE_ROWS
        ),
        "map_order_5_lines": cpu_us_per_record(
            lambda: [
                map_order(o, i, settings, multi_currency=False)
                for o, i in zip(pages.orders, pages.items, strict=True)
            ],
            PAGE_ROWS,
        ),
    }
    return figures


def main() -> int:
    customers: list[NetSuiteRecord] = [customer(i) for i in range(CHUNK)]
    orders: list[NetSuiteRecord] = [sales_order(i) for i in range(CHUNK)]
    response = response_body()
    assert len(parse_upsert_list_response(response, RESPONSE_KEYS)) == CHUNK

    ours = stage_figures()
    codec: dict[str, Callable[[], object]] = {
        "build_customer": build_chunk(customers),
        "build_sales_order_5_lines": build_chunk(orders),
        "parse_response_100": lambda: parse_upsert_list_response(response, RESPONSE_KEYS),
    }
    zeep_setup = zeep_works(customers, orders, response)
    theirs = {} if zeep_setup is None else {f"zeep {key}": work for key, work in zeep_setup[1].items()}
    timed = cpu_us_per_record_in_turns(codec | theirs, CHUNK)
    ours |= {key: timed[key] for key in codec}
    ours["total_customer"] = round(
        ours["csv_parse_account"] + ours["map_account"] + ours["build_customer"] + ours["parse_response_100"],
        2,
    )
    ours["total_sales_order_5_lines"] = round(
        ours["csv_parse_order_5_lines"]
        + ours["map_order_5_lines"]
        + ours["build_sales_order_5_lines"]
        + ours["parse_response_100"],
        2,
    )
    for key, label in (
        ("csv_parse_account", "CSV parse, Account"),
        ("csv_parse_order_5_lines", "CSV parse, Order + 5 lines"),
        ("map_account", "map, Account -> customer"),
        ("map_order_5_lines", "map, Order + 5 lines -> sales order"),
        ("build_customer", "XML build, customer"),
        ("build_sales_order_5_lines", "XML build, sales order (5 lines)"),
        ("parse_response_100", "response parse (100 records)"),
        ("total_customer", "all four stages, customer"),
        ("total_sales_order_5_lines", "all four stages, sales order (5 lines)"),
    ):
        print(f"bulk-o2c {label:<40} {ours[key]:8.1f} us/record")

    result: dict[str, Any] = {
        "benchmark": "client CPU per record by stage, and zeep building and parsing the same upsertList",
        "command": "python benchmarks/bench_codec_cpu.py",
        "unit": "CPU microseconds per record (time.process_time, best of 5 rounds; "
        "build and parse timed in turns with zeep's)",
        "machine": machine(),
        "chunk_records": CHUNK,
        "lxml": ".".join(map(str, etree.LXML_VERSION)),
        "bulk_o2c": ours,
        "zeep": None,
    }
    if zeep_setup is not None:
        result["zeep"] = zeep_figures(zeep_setup[0], {key: timed[f"zeep {key}"] for key in codec}, ours)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(REPO)}")
    return 0


def zeep_works(
    customers: list[NetSuiteRecord], orders: list[NetSuiteRecord], response: bytes
) -> tuple[dict[str, Any], dict[str, Callable[[], object]]] | None:
    """zeep's version and WSDL load time, and its build and parse works keyed as ours; None without
    the WSDL or zeep."""
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
    parsed = z.parse_response(response)()
    assert len(parsed.body.writeResponseList.writeResponse) == CHUNK
    meta = {"version": zeep.__version__, "wsdl_load_s": round(z.wsdl_load_s, 3)}
    works = {
        "build_customer": z.build_chunk(zeep_customers),
        "build_sales_order_5_lines": z.build_chunk(zeep_orders),
        "parse_response_100": z.parse_response(response),
    }
    return meta, works


def zeep_figures(meta: dict[str, Any], timed: dict[str, float], ours: dict[str, float]) -> dict[str, Any]:
    figures: dict[str, Any] = meta | timed
    print(f"zeep {meta['version']} WSDL load (one-off): {meta['wsdl_load_s']:8.2f} s")
    print(f"zeep response parse (100 records): {figures['parse_response_100']:8.1f} us/record")
    met = True
    for key, label in (
        ("build_customer", "customer"),
        ("build_sales_order_5_lines", "sales order (5 lines)"),
    ):
        theirs = figures[key] + figures["parse_response_100"]
        mine = ours[key] + ours["parse_response_100"]
        figures[f"ratio_build_and_parse_{key.removeprefix('build_')}"] = ratio = round(theirs / mine, 1)
        met = met and ratio >= 20
        print(
            f"zeep build {label}: {figures[key]:8.1f} us/record; build + parse {theirs:.1f} us against "
            f"bulk-o2c's {mine:.1f} us: {ratio}x"
        )
    figures["target_met"] = met
    print(f"target: bulk-o2c build + parse at most 1/20 of zeep's: {'met' if met else 'MISSED'}")
    return figures


if __name__ == "__main__":
    sys.exit(main())
