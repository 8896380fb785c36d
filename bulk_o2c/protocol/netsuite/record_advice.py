"""What to do about a record NetSuite refused, for refusals whose fix lies in NetSuite's setup.

Rules this module owns:
- A refusal is recognised by its code and NetSuite's own message; the advice is appended to the
  message the DLQ keeps, so the entry says what to do, not only what went wrong.
- A sales order whose currency its customer does not allow (``INVALID_KEY_OR_REF`` "Invalid currency
  reference key 4 for entity 12."): bulk-o2c sends amounts in the order's own currency and never
  converts them (NetSuite owns the exchange rates), so the fix is the customer's currencies in
  NetSuite, never a converted amount.
"""

from __future__ import annotations

import re

_CURRENCY_FOR_ENTITY = re.compile(r"\bInvalid currency reference key \S+ for entity \S+")
CURRENCY_NOT_ALLOWED_ADVICE = (
    "the customer does not trade in the order's currency: in NetSuite add that currency to the "
    "customer (Financial subtab > Currencies), then `bulk-o2c dlq retry --code INVALID_KEY_OR_REF` "
    "and `bulk-o2c resume RUN_ID`; amounts are sent in the order's currency, never converted "
    "(NetSuite applies its own exchange rates)"
)


def advice(code: str, message: str) -> str | None:
    if code == "INVALID_KEY_OR_REF" and _CURRENCY_FOR_ENTITY.search(message):
        return CURRENCY_NOT_ALLOWED_ADVICE
    return None


def with_advice(code: str, message: str) -> str:
    """``message``, followed by what to do when the refusal is one this module knows."""
    what_to_do = advice(code, message)
    return message if what_to_do is None else f"{message} -> {what_to_do}"
