"""The SOAP ``SalesOrderOrderStatus`` enum (tranSalesTyp, transactions.saleTypes.xsd, 2023_2).

Plain data: the envelope refuses any other value, and the mapping settings type their status table
with it, so the two can never drift apart. NetSuite lets a new order be created only as
``_pendingApproval`` or ``_pendingFulfillment``; the rest follow from fulfilment and billing, so
mapping to them makes sense only for updates.
"""

from __future__ import annotations

from typing import Literal, get_args

SalesOrderStatus = Literal[
    "_pendingApproval",
    "_pendingFulfillment",
    "_cancelled",
    "_partiallyFulfilled",
    "_pendingBillingPartFulfilled",
    "_pendingBilling",
    "_fullyBilled",
    "_closed",
    "_undefined",
]

SALES_ORDER_STATUSES: frozenset[str] = frozenset(get_args(SalesOrderStatus))
