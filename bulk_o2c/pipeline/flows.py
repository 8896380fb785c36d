"""The flows of a run and what each one extracts, in dependency order.

Flow names are the Salesforce object names; they key the checkpoint. OrderItems are staged under
their order (``parent_column``) and selected by their order's modstamp: a line change bumps the
order's ``SystemModstamp`` (``TotalAmount`` is a roll-up of its lines), and an order is always sent
with all its lines (``itemList replaceAll``), so the lines of every order in the window are needed,
changed or not.
"""

from __future__ import annotations

from dataclasses import dataclass

from bulk_o2c.config import Settings
from bulk_o2c.mapping import mapped_columns


@dataclass(frozen=True, slots=True)
class ExtractSpec:
    flow: str
    parent_column: str | None
    window_field: str
    columns: tuple[str, ...]


ACCOUNT = "Account"
ORDER = "Order"
ORDER_ITEM = "OrderItem"
FLOWS = (ACCOUNT, ORDER, ORDER_ITEM)
# Flows never loaded on their own: their rows travel inside a record of another flow (an order's
# itemList), so their staged rows stay ``staged`` and they count nothing as loaded.
SENT_WITH = {ORDER_ITEM: ORDER}


def extract_specs(settings: Settings) -> tuple[ExtractSpec, ...]:
    columns = mapped_columns(settings.mapping)
    run = settings.run
    # The id already written back decides whether a record needs writing back again.
    account_columns = (*columns[ACCOUNT], run.customer_id_field)
    order_columns = (*columns[ORDER], run.sales_order_id_field)
    return (
        ExtractSpec(ACCOUNT, None, "SystemModstamp", tuple(dict.fromkeys(account_columns))),
        ExtractSpec(ORDER, "AccountId", "SystemModstamp", tuple(dict.fromkeys(order_columns))),
        ExtractSpec(ORDER_ITEM, "OrderId", "Order.SystemModstamp", columns[ORDER_ITEM]),
    )
