"""SuiteTalk namespace URIs for an endpoint version (``2025_2`` -> ``urn:core_2025_2.platform...``).

Plain data: the sandbox may import this module (shared/DESIGN.md allows namespace strings).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


@dataclass(frozen=True, slots=True)
class Namespaces:
    version: str
    messages: str
    core: str
    core_types: str
    common: str
    common_types: str
    faults: str
    fault_types: str
    relationships: str
    sales: str
    sales_types: str


@cache
def namespaces(version: str) -> Namespaces:
    def urn(name: str, group: str) -> str:
        return f"urn:{name}_{version}.{group}.webservices.netsuite.com"

    return Namespaces(
        version=version,
        messages=urn("messages", "platform"),
        core=urn("core", "platform"),
        core_types=urn("types.core", "platform"),
        common=urn("common", "platform"),
        common_types=urn("types.common", "platform"),
        faults=urn("faults", "platform"),
        fault_types=urn("types.faults", "platform"),
        relationships=urn("relationships", "lists"),
        sales=urn("sales", "transactions"),
        sales_types=urn("types.sales", "transactions"),
    )
