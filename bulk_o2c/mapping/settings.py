"""The mapping's configuration: every table and default the Salesforce -> NetSuite mapping reads.

Rules this module owns:
- Every value NetSuite needs that Salesforce does not carry (subsidiary, entry forms, price level) is
  a setting with a default, so a record is never sent without it. The defaults are the ids of the
  demo account (``sandbox``): a real account must set its own. A wrong id is not silent: NetSuite
  answers ``INVALID_KEY_OR_REF`` for each record and the record goes to the DLQ.
- Lookup tables (order status, currency, custom select values) are complete or they refuse: a value
  not in a table is a per-record error, never a guess. The currency table may be left empty, and
  then no currency is sent (NetSuite uses the customer's or the subsidiary's).
- The time zone is the NetSuite time zone preference of the integration user (Set Preferences >
  Time Zone); NetSuite reads every dateTime in it. It is checked with ``zoneinfo`` when the settings
  load; on a machine with no system time zone database (Windows, some slim containers) install the
  ``tzdata`` package, or every zone but UTC is refused with a clear error.
- Order lines go in the order of ``line_sort_column`` (Salesforce's ``OrderItemNumber`` by default),
  never in the order extraction happened to give: NetSuite applies a discount item to the line just
  before it (or to the group a subtotal line closes). A discount line is one whose item code is in
  ``discount_item_codes`` or whose ``item_type_column`` value is in ``discount_item_types``; a
  subtotal line likewise with ``subtotal_item_codes`` / ``subtotal_item_types``. A code or type
  cannot be both.
- External id prefixes are distinct and made of characters an external id can carry, so a customer
  and a sales order (or another entity type sharing the entity id space) never collide.
- A custom field's script id prefix must match the record it goes on (``custentity`` on customers,
  ``custbody`` on sales orders, ``custcol`` on order lines): NetSuite ignores or rejects others.
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bulk_o2c.protocol.netsuite.order_status import SalesOrderStatus
from bulk_o2c.protocol.netsuite.records import CustomFieldKind

CustomFieldTarget = Literal["customer", "salesOrder", "salesOrderItem"]

_SCRIPT_ID_PREFIX: dict[CustomFieldTarget, str] = {
    "customer": "custentity",
    "salesOrder": "custbody",
    "salesOrderItem": "custcol",
}
_DEFAULT_ORDER_STATUS: dict[str, SalesOrderStatus] = {
    "Draft": "_pendingApproval",
    "Activated": "_pendingFulfillment",
}
_EXTERNAL_ID_PREFIX = r"^[A-Za-z0-9_\-]{1,20}$"
_INTERNAL_ID = r"^-?[0-9]{1,18}$"
_COLUMN = r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CustomFieldMapping(_Frozen):
    """One Salesforce column copied into one NetSuite custom field.

    ``source`` is a column of the record's Salesforce object (Account for ``customer``, Order for
    ``salesOrder``, OrderItem for ``salesOrderItem``). An empty source value sends nothing.
    ``values`` (``select`` and ``multiselect`` only) translates a Salesforce picklist value to the
    list value's internal id; without it the Salesforce value must already be that internal id.
    """

    source: str = Field(pattern=_COLUMN)
    script_id: str = Field(pattern=r"^cust(entity|body|col)[a-z0-9_]+$")
    kind: CustomFieldKind
    record: CustomFieldTarget
    values: dict[str, str] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CustomFieldMapping:
        prefix = _SCRIPT_ID_PREFIX[self.record]
        if not self.script_id.startswith(prefix):
            raise ValueError(f"a {self.record} custom field's script id starts with {prefix!r}")
        if self.values is not None and self.kind not in ("select", "multiselect"):
            raise ValueError("a values table only applies to a select or multiselect field")
        return self


class MappingSettings(_Frozen):
    customer_external_id_prefix: str = Field("SF_ACCT_", pattern=_EXTERNAL_ID_PREFIX)
    sales_order_external_id_prefix: str = Field("SF_ORD_", pattern=_EXTERNAL_ID_PREFIX)
    subsidiary_id: str = Field("1", pattern=_INTERNAL_ID, description="internal id of the default subsidiary")
    customer_form_id: str = Field("1", pattern=_INTERNAL_ID, description="customForm sent on every customer")
    sales_order_form_id: str = Field("1", pattern=_INTERNAL_ID, description="customForm sent on every order")
    time_zone: str = Field("America/Los_Angeles", description="IANA name of the integration user's zone")
    order_status: dict[str, SalesOrderStatus] = Field(
        default_factory=lambda: dict(_DEFAULT_ORDER_STATUS),
        description="Salesforce Order.Status -> SalesOrderOrderStatus",
    )
    currencies: dict[str, str] = Field(
        default_factory=dict, description="ISO code -> NetSuite currency internal id; empty: none sent"
    )
    item_external_id_column: str = Field(
        "Product2.ProductCode", description="OrderItem column: item externalId"
    )
    item_record_type: str = Field("inventoryItem", pattern=r"^[a-z][A-Za-z]+$")
    line_sort_column: str | None = Field(
        "OrderItemNumber", pattern=_COLUMN, description="OrderItem column the lines are sent in order of"
    )
    discount_item_codes: frozenset[str] = Field(
        frozenset(), description="item_external_id_column values of discount items"
    )
    item_type_column: str | None = Field(
        None, pattern=_COLUMN, description="OrderItem column naming the item's type (e.g. Product2.Family)"
    )
    discount_item_types: frozenset[str] = Field(
        frozenset({"Discount"}), description="item_type_column values of discount items"
    )
    discount_item_record_type: str = Field("discountItem", pattern=r"^[a-z][A-Za-z]+$")
    subtotal_item_codes: frozenset[str] = Field(
        frozenset(), description="item_external_id_column values of subtotal items"
    )
    subtotal_item_types: frozenset[str] = Field(
        frozenset({"Subtotal"}), description="item_type_column values of subtotal items"
    )
    subtotal_item_record_type: str = Field("subtotalItem", pattern=r"^[a-z][A-Za-z]+$")
    price_level_id: str | None = Field("-1", pattern=_INTERNAL_ID, description="-1: Custom, rate applies")
    company_name_limit: int = Field(83, ge=1, le=83)
    custom_fields: tuple[CustomFieldMapping, ...] = ()

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (an IANA name such as America/Los_Angeles; "
                "install the tzdata package if this machine has no time zone database)"
            ) from None
        return value

    @field_validator("currencies")
    @classmethod
    def _currency_ids(cls, value: dict[str, str]) -> dict[str, str]:
        for code, internal_id in value.items():
            if len(code) != 3 or not code.isascii() or not code.isupper() or not internal_id.isdigit():
                raise ValueError("currencies maps a 3-letter ISO code to a numeric internal id")
        return value

    @model_validator(mode="after")
    def _distinct_line_kinds(self) -> MappingSettings:
        both = (self.discount_item_codes & self.subtotal_item_codes) | (
            self.discount_item_types & self.subtotal_item_types
        )
        if both:
            raise ValueError(f"{sorted(both)} cannot mark both discount and subtotal lines")
        return self

    @model_validator(mode="after")
    def _distinct_prefixes(self) -> MappingSettings:
        if self.customer_external_id_prefix.upper() == self.sales_order_external_id_prefix.upper():
            # External ids compare case-insensitively in NetSuite.
            raise ValueError("the customer and sales order external id prefixes must differ")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)  # ZoneInfo caches instances by key: this is a dict lookup

    def custom_fields_for(self, record: CustomFieldTarget) -> tuple[CustomFieldMapping, ...]:
        return tuple(f for f in self.custom_fields if f.record == record)
