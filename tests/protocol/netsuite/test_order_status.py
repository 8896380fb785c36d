from pathlib import Path

import pytest
from lxml import etree

from bulk_o2c.protocol.netsuite.order_status import SALES_ORDER_STATUSES

XSD = Path(__file__).resolve().parents[3] / ".." / "shared" / "netsuite-wsdl-2023_2" / "xsd"
XS = "{http://www.w3.org/2001/XMLSchema}"


def test_the_statuses_are_the_schema_enumeration() -> None:
    path = XSD / "transactions.saleTypes.xsd"
    if not path.is_file():
        pytest.skip(f"NetSuite XSDs not present at {XSD} (only on the build machine)")
    tree = etree.parse(str(path))
    (node,) = (t for t in tree.iter(f"{XS}simpleType") if t.get("name") == "SalesOrderOrderStatus")
    assert {str(e.get("value")) for e in node.iter(f"{XS}enumeration")} == SALES_ORDER_STATUSES
