"""Test helpers for the NetSuite sandbox: raw SOAP written by hand, passports signed with hmac.

Nothing here uses the client's codec: the sandbox is tested on its own, against NetSuite's format.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import SimpleNamespace
from xml.sax.saxutils import escape, quoteattr

import aiohttp
import pytest
from lxml import etree

from bulk_o2c.sandbox.netsuite import NetSuiteSandbox, NetSuiteSandboxConfig, SandboxCredentials
from tests.support.shared_files import Validate, soap_validator

VERSION = "2025_2"
NOW = 1_750_000_000.0
SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"


def urn(name: str, group: str, version: str = VERSION) -> str:
    return f"urn:{name}_{version}.{group}.webservices.netsuite.com"


def sign(credentials: SandboxCredentials, account: str, nonce: str, timestamp: str) -> str:
    key = f"{credentials.consumer_secret}&{credentials.token_secret}".encode()
    base = f"{account}&{credentials.consumer_key}&{credentials.token_id}&{nonce}&{timestamp}".encode()
    return base64.b64encode(hmac.new(key, base, hashlib.sha256).digest()).decode()


_nonces = itertools.count(1)


def passport_xml(
    credentials: SandboxCredentials,
    *,
    account: str = "1234567_SB1",
    nonce: str | None = None,
    timestamp: float = NOW,
    signature: str | None = None,
    algorithm: str = "HMAC_SHA256",
) -> str:
    nonce = nonce if nonce is not None else f"nonce{next(_nonces):08d}"
    ts = str(int(timestamp))
    signature = signature if signature is not None else sign(credentials, account, nonce, ts)
    return (
        "<platformMsgs:tokenPassport>"
        f"<platformCore:account>{account}</platformCore:account>"
        f"<platformCore:consumerKey>{credentials.consumer_key}</platformCore:consumerKey>"
        f"<platformCore:token>{credentials.token_id}</platformCore:token>"
        f"<platformCore:nonce>{nonce}</platformCore:nonce>"
        f"<platformCore:timestamp>{ts}</platformCore:timestamp>"
        f'<platformCore:signature algorithm="{algorithm}">{signature}</platformCore:signature>'
        "</platformMsgs:tokenPassport>"
    )


def soap_envelope(operation: str, header: str, version: str = VERSION) -> bytes:
    """``operation`` (the Body's element, written out) in an envelope declaring the usual prefixes."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAPENV}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' xmlns:platformMsgs="{urn("messages", "platform", version)}"'
        f' xmlns:platformCore="{urn("core", "platform", version)}"'
        f' xmlns:platformCommon="{urn("common", "platform", version)}"'
        f' xmlns:listRel="{urn("relationships", "lists", version)}"'
        f' xmlns:tranSales="{urn("sales", "transactions", version)}">'
        f"<soapenv:Header>{header}</soapenv:Header>"
        f"<soapenv:Body>{operation}</soapenv:Body>"
        "</soapenv:Envelope>"
    ).encode()


def envelope(records: str, header: str, version: str = VERSION) -> bytes:
    return soap_envelope(f"<platformMsgs:upsertList>{records}</platformMsgs:upsertList>", header, version)


def server_time_envelope(header: str, version: str = VERSION) -> bytes:
    return soap_envelope("<platformMsgs:getServerTime/>", header, version)


def customer(
    external_id: str | None,
    company: str | None = "Acme Corp",
    *,
    country: str = "_unitedStates",
    is_person: bool = False,
    extra: str = "",
    attrs: str = "",
) -> str:
    ext = "" if external_id is None else f" externalId={quoteattr(external_id)}"
    name = "" if company is None else f"<listRel:companyName>{escape(company)}</listRel:companyName>"
    return (
        f'<platformMsgs:record xsi:type="listRel:Customer"{ext}{attrs}>'
        f"<listRel:isPerson>{'true' if is_person else 'false'}</listRel:isPerson>{name}{extra}"
        '<listRel:subsidiary internalId="1"/>'
        '<listRel:addressbookList replaceAll="true"><listRel:addressbook>'
        "<listRel:defaultBilling>true</listRel:defaultBilling><listRel:label>HQ</listRel:label>"
        f"<listRel:addressbookAddress><platformCommon:country>{country}</platformCommon:country>"
        "<platformCommon:city>Austin</platformCommon:city></listRel:addressbookAddress>"
        "</listRel:addressbook></listRel:addressbookList>"
        "</platformMsgs:record>"
    )


def sales_order(
    external_id: str,
    entity: str = "CUST-1",
    lines: tuple[tuple[str, str], ...] = (("SKU-1", "2.0"),),
    *,
    extra: str = "",
) -> str:
    items = "".join(
        f'<tranSales:item><tranSales:item externalId={quoteattr(sku)} type="inventoryItem"/>'
        f"<tranSales:quantity>{quantity}</tranSales:quantity><tranSales:rate>9.99</tranSales:rate></tranSales:item>"
        for sku, quantity in lines
    )
    item_list = f'<tranSales:itemList replaceAll="true">{items}</tranSales:itemList>' if lines else ""
    return (
        f'<platformMsgs:record xsi:type="tranSales:SalesOrder" externalId={quoteattr(external_id)}>'
        f'<tranSales:entity externalId={quoteattr(entity)} type="customer"/>{extra}'
        f"<tranSales:orderStatus>_pendingFulfillment</tranSales:orderStatus>{item_list}"
        "</platformMsgs:record>"
    )


@dataclass
class Reply:
    status: int
    body: bytes

    @property
    def root(self) -> etree._Element:
        return etree.fromstring(self.body)

    def outcomes(self) -> list[dict[str, str | None]]:
        """One dict per writeResponse: isSuccess, internalId, externalId, type, code, message, detail type."""
        rows: list[dict[str, str | None]] = []
        for write in self.root.iter("{*}writeResponse"):
            status = write.find("{*}status")
            ref = write.find("{*}baseRef")
            assert status is not None
            assert ref is not None
            detail = status.find("{*}statusDetail")
            rows.append(
                {
                    "isSuccess": status.get("isSuccess"),
                    "internalId": ref.get("internalId"),
                    "externalId": ref.get("externalId"),
                    "type": ref.get("type"),
                    "code": None if detail is None else detail.findtext("{*}code"),
                    "message": None if detail is None else detail.findtext("{*}message"),
                    "detailType": None if detail is None else detail.get("type"),
                }
            )
        return rows

    def fault(self) -> tuple[str, str, str]:
        """(detail element local name, code, faultstring) of a SOAP fault."""
        fault = self.root.find(f"{{{SOAPENV}}}Body/{{{SOAPENV}}}Fault")
        assert fault is not None, self.body
        detail = fault.find("detail")
        element = None if detail is None else detail[0]
        return (
            "" if element is None else etree.QName(element).localname,
            "" if element is None else element.findtext("{*}code") or "",
            fault.findtext("faultstring") or "",
        )


class SoapClient:
    """Posts hand-written upsertList and getServerTime envelopes to a running sandbox."""

    def __init__(self, sandbox: NetSuiteSandbox, session: aiohttp.ClientSession) -> None:
        self.sandbox = sandbox
        self.session = session

    def passport(self, **overrides: object) -> str:
        return passport_xml(self.sandbox.credentials, **overrides)  # type: ignore[arg-type]

    async def post_raw(
        self, body: bytes, *, version: str = VERSION, soap_action: str | None = '"upsertList"'
    ) -> Reply:
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        if soap_action is not None:
            headers["SOAPAction"] = soap_action
        async with self.session.post(self.sandbox.soap_url(version), data=body, headers=headers) as response:
            return Reply(response.status, await response.read())

    async def upsert(self, *records: str, header: str | None = None, version: str = VERSION) -> Reply:
        header = header if header is not None else self.passport()
        return await self.post_raw(envelope("".join(records), header, version), version=version)

    async def server_time(
        self,
        *,
        header: str | None = None,
        version: str = VERSION,
        soap_action: str | None = '"getServerTime"',
    ) -> Reply:
        header = header if header is not None else self.passport()
        return await self.post_raw(
            server_time_envelope(header, version), version=version, soap_action=soap_action
        )


@pytest.fixture
def make_config() -> Callable[..., NetSuiteSandboxConfig]:
    def make(**overrides: object) -> NetSuiteSandboxConfig:
        values: dict[str, object] = {
            "time_scale": 0.0,
            "clock": lambda: NOW,
            "items": frozenset({"SKU-1", "SKU-2"}),
        }
        values.update(overrides)
        return NetSuiteSandboxConfig(**values)  # type: ignore[arg-type]

    return make


@pytest.fixture
def config(make_config: Callable[..., NetSuiteSandboxConfig]) -> NetSuiteSandboxConfig:
    return make_config()


@pytest.fixture
async def sandbox(config: NetSuiteSandboxConfig) -> AsyncIterator[NetSuiteSandbox]:
    async with NetSuiteSandbox(config) as running:
        yield running


@pytest.fixture
async def client(sandbox: NetSuiteSandbox) -> AsyncIterator[SoapClient]:
    async with aiohttp.ClientSession() as session:
        yield SoapClient(sandbox, session)


@pytest.fixture
def xsd_validate() -> Validate:
    """NetSuite's own XSDs (shared/), through shared/tools/validate_soap.py."""
    return soap_validator()


@pytest.fixture
def wire() -> SimpleNamespace:
    """The request builders, for tests (conftest modules cannot be imported under importlib mode)."""
    return SimpleNamespace(
        VERSION=VERSION,
        NOW=NOW,
        urn=urn,
        sign=sign,
        passport_xml=passport_xml,
        soap_envelope=soap_envelope,
        envelope=envelope,
        server_time_envelope=server_time_envelope,
        customer=customer,
        sales_order=sales_order,
        Reply=Reply,
        SoapClient=SoapClient,
    )


async def until(condition: Callable[[], bool]) -> None:
    """Wait (5 s at most) for the sandbox to reach a state its stats show."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the sandbox never reached the expected state")
