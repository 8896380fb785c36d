from bulk_o2c.protocol.netsuite.order_status import SALES_ORDER_STATUSES
from tests.support.shared_files import xsd_enumeration


def test_the_statuses_are_the_schema_enumeration() -> None:
    assert xsd_enumeration("transactions.saleTypes.xsd", "SalesOrderOrderStatus") == SALES_ORDER_STATUSES
