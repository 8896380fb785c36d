"""The flows of a run and what each one extracts, in dependency order.

Flow names are the Salesforce object names; they key the checkpoint. OrderItems are staged under
their order (``parent_column``) and selected by their order's modstamp: a line change bumps the
order's ``SystemModstamp`` (``TotalAmount`` is a roll-up of its lines), and an order is always sent
with all its lines (``itemList replaceAll``), so the lines of every order in the window are needed,
changed or not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


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


def extract_specs(columns: Mapping[str, tuple[str, ...]]) -> tuple[ExtractSpec, ...]:
    """The extraction of each flow, selecting ``columns[flow]`` (a ``RunPlan``'s columns)."""
    return (
        ExtractSpec(ACCOUNT, None, "SystemModstamp", columns[ACCOUNT]),
        ExtractSpec(ORDER, "AccountId", "SystemModstamp", columns[ORDER]),
        ExtractSpec(ORDER_ITEM, "OrderId", "Order.SystemModstamp", columns[ORDER_ITEM]),
    )
