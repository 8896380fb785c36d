"""NetSuite's concurrency governance as the account reports it, and the bound a run takes from it
(reference netsuite-rest.md section 5.1).

Rules this module owns:
- The figures come from SOAP (``getAccountGovernanceInfo`` and ``getIntegrationGovernanceInfo``,
  parsed in ``response``) or from REST ``GET /services/rest/system/v1/governanceLimits`` (parsed
  here); both become one ``Governance``. Either SOAP call may answer alone: a figure not reported
  is None.
- Limit types are read under every spelling in use: SOAP ``_integrationSpecific``, ``_account``
  (the XSD) or ``_accountLimit`` (Oracle's text), ``_internal``; REST ``integrationSpecific``,
  ``accountLimit``, ``internal``. Another value is unknown (None), never guessed.
- The bound NetSuite allows this integration: its own limit when it has one
  (``integrationSpecific``); otherwise the account limit less what other integrations reserve,
  which is ``unallocatedConcurrencyLimit``; the account limit itself only when that is all there is.
  No usable figure means no bound.
- ``netsuite.concurrency`` is an optional cap under that bound. Without a bound the run falls back
  to the cap, or to the base pool of the smallest tier when there is no cap either, and says so.
- A figure must be a whole number from 1 up (a pool of 0 would stop every run); another value is
  refused as malformed rather than bound to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from bulk_o2c.protocol.netsuite.faults import MalformedResponseError

LimitType = Literal["integrationSpecific", "account", "internal"]

_LIMIT_TYPES: dict[str, LimitType] = {
    "_integrationSpecific": "integrationSpecific",
    "integrationSpecific": "integrationSpecific",
    "_account": "account",
    "_accountLimit": "account",
    "accountLimit": "account",
    "_internal": "internal",
    "internal": "internal",
}


def limit_type(text: str | None) -> LimitType | None:
    """The limit type a SOAP or REST answer names, None when absent or unknown."""
    return None if text is None else _LIMIT_TYPES.get(text.strip())


# Past this many digits int() refuses a string (ValueError); no count NetSuite reports comes near it.
_MAX_DIGITS = 18


def whole_number(text: str) -> int | None:
    """``text`` as a count from 0, None when it is not one: ASCII digits only (isdigit admits "²"
    and int() admits "+1" and "1_0"), and few enough that int() cannot refuse them."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > _MAX_DIGITS:
        return None
    return int(text)


def limit_figure(value: object, name: str) -> int | None:
    """A reported limit as an int (None when absent); anything but a whole number >= 1 is refused."""
    if value is None:
        return None
    if isinstance(value, str):
        number = whole_number(value)
        if number is None:
            raise MalformedResponseError(f"governance answered a {name} that is not a whole number")
        value = number
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise MalformedResponseError(f"governance answered a {name} that is not a whole number from 1")
    return value


@dataclass(frozen=True, slots=True)
class Governance:
    """What NetSuite reported; ``source`` says which API answered (``SOAP`` or ``REST``)."""

    source: str
    account_limit: int | None = None
    unallocated_limit: int | None = None
    integration_limit: int | None = None
    limit_type: LimitType | None = None

    @property
    def bound(self) -> int | None:
        if self.limit_type == "integrationSpecific" and self.integration_limit is not None:
            return self.integration_limit
        if self.unallocated_limit is not None:
            return self.unallocated_limit
        return self.account_limit

    def describe(self) -> str:
        parts = [
            f"{label} {value}"
            for label, value in (
                ("account limit", self.account_limit),
                ("unallocated", self.unallocated_limit),
                ("integration limit", self.integration_limit),
            )
            if value is not None
        ]
        if self.limit_type is not None:
            parts.append(f"limit type {self.limit_type}")
        return ", ".join(parts) or "no figures"


@dataclass(frozen=True, slots=True)
class PoolBound:
    """The concurrency a run uses and where it comes from."""

    bound: int
    reported: int | None  # what NetSuite's figures allow; None when they were unavailable
    cap: int | None  # netsuite.concurrency, if set
    governance: Governance | None
    refusals: tuple[str, ...] = ()  # "<operation>: <reason>" for each governance call not answered

    def describe(self) -> str:
        cap = "none" if self.cap is None else str(self.cap)
        if self.reported is None or self.governance is None:
            return (
                f"NetSuite did not report its concurrency limits; using {self.bound} "
                f"(netsuite.concurrency: {cap})"
            )
        return (
            f"NetSuite reported a bound of {self.reported} over {self.governance.source} "
            f"({self.governance.describe()}); cap netsuite.concurrency: {cap}; using {self.bound}"
        )


def choose_bound(governance: Governance | None, cap: int | None, fallback: int) -> PoolBound:
    """The run's concurrency: NetSuite's bound under the cap, else the cap, else ``fallback``."""
    reported = None if governance is None else governance.bound
    if reported is None:
        return PoolBound(cap if cap is not None else fallback, None, cap, governance)
    return PoolBound(min(reported, cap) if cap is not None else reported, reported, cap, governance)


def parse_governance_limits(body: bytes) -> Governance:
    """The REST ``governanceLimits`` answer (a JSON object) as ``Governance``."""
    try:
        data = json.loads(body)
    except ValueError:
        raise MalformedResponseError("governanceLimits answered something that is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedResponseError("governanceLimits answered JSON that is not an object")

    def figure(name: str) -> int | None:
        return limit_figure(data.get(name), name)

    kind = data.get("integrationLimitType")
    return Governance(
        source="REST",
        account_limit=figure("accountConcurrencyLimit"),
        unallocated_limit=figure("accountUnallocatedConcurrencyLimit"),
        integration_limit=figure("integrationConcurrencyLimit"),
        limit_type=limit_type(kind) if isinstance(kind, str) else None,
    )


def rest_error_code(body: bytes) -> str | None:
    """The ``o:errorCode`` of a NetSuite REST error body, None when it has none."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    details = data.get("o:errorDetails") if isinstance(data, dict) else None
    first = details[0] if isinstance(details, list) and details else None
    code = first.get("o:errorCode") if isinstance(first, dict) else None
    return code if isinstance(code, str) else None
