"""What a run reads and writes in this org: the columns to select, the fallbacks taken, the problems.

``plan_run`` is pure: it reads the org's ``OrgSchema`` (``protocol.salesforce.describe``) and the
settings, and returns a ``RunPlan``. ``discover`` (``pipeline.discover``) fetches the schema and
plans; ``run`` and ``doctor`` both use it.

Rules this module owns:
- A column is selected only when the describe lists it (a field hidden by field-level security is
  not listed, so "exists" means "exists and readable").
- Columns every org has (``mapping.columns``) and configured ones (custom fields, the item column)
  are required: without one the plan has a problem naming the object, the field and what to do.
- Columns only some orgs have take their documented fallback:
  * the country comes from ``BillingCountryCode`` (country picklists), else from ``BillingCountry``
    through the country name table; an org with neither is a problem;
  * ``CurrencyIsoCode`` is read only in multi-currency orgs; ``mapping.currencies`` set in an org
    without it is a problem (the currency table would never apply);
  * person-account columns are read when the org has person accounts.
- A write-back field that is on must exist and be updateable by the integration user; otherwise
  the problem says which and how to switch it off. A flow whose id field is off is not written
  back at all (its sync status neither); with ``run.writeback`` off no field is written, so none
  is required or selected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bulk_o2c.config import RunSettings, Settings
from bulk_o2c.errors import ConfigError
from bulk_o2c.mapping.columns import mapped_columns
from bulk_o2c.mapping.customers import COUNTRY_CODE_COLUMN, COUNTRY_NAME_COLUMN, PERSON_ACCOUNT_COLUMNS
from bulk_o2c.mapping.rules import CURRENCY_COLUMN
from bulk_o2c.pipeline.flows import ACCOUNT, FLOWS, ORDER
from bulk_o2c.protocol.salesforce.describe import OrgSchema


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    """Something the org lacks that stops the run before extraction."""

    sobject: str
    field: str | None  # None: the object itself
    problem: str
    fix: str

    def __str__(self) -> str:
        where = self.sobject if self.field is None else f"{self.sobject}.{self.field}"
        return f"{where} {self.problem}: {self.fix}"


@dataclass(frozen=True, slots=True)
class Fallback:
    """A column the org lacks and what the run does instead."""

    sobject: str
    field: str
    instead: str

    def __str__(self) -> str:
        return f"{self.sobject}.{self.field} is not in this org: {self.instead}"


@dataclass(frozen=True, slots=True)
class WritebackFields:
    """The Salesforce fields the write-back sets; None: switched off."""

    customer_id: str | None
    sales_order_id: str | None
    sync_status: str | None

    @classmethod
    def from_settings(cls, run: RunSettings) -> WritebackFields:
        if not run.writeback:
            return cls(None, None, None)
        return cls(run.customer_id_field, run.sales_order_id_field, run.sync_status_field)

    def id_field(self, flow: str) -> str | None:
        return {ACCOUNT: self.customer_id, ORDER: self.sales_order_id}.get(flow)


class OrgSchemaError(ConfigError):
    """The org lacks what the settings need; every problem is listed."""

    def __init__(self, problems: tuple[SchemaProblem, ...]) -> None:
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"the Salesforce org cannot serve this run; nothing was extracted:\n{lines}")
        self.problems = problems


@dataclass(frozen=True, slots=True)
class RunPlan:
    columns: Mapping[str, tuple[str, ...]]
    """Flow -> the columns to select, in order, no repeats."""
    writeback: WritebackFields
    fallbacks: tuple[Fallback, ...]
    problems: tuple[SchemaProblem, ...]

    def check(self) -> RunPlan:
        """This plan, or ``OrgSchemaError`` listing its problems."""
        if self.problems:
            raise OrgSchemaError(self.problems)
        return self


class _Planner:
    def __init__(self, schema: OrgSchema) -> None:
        self.schema = schema
        self.columns: dict[str, list[str]] = {flow: [] for flow in FLOWS}
        self.fallbacks: list[Fallback] = []
        self.problems: list[SchemaProblem] = []

    def has(self, sobject: str, column: str) -> bool:
        return self.schema.field(sobject, column) is not None

    def require(self, sobject: str, column: str) -> None:
        if self.has(sobject, column):
            self.columns[sobject].append(column)
        else:
            self.problems.append(
                SchemaProblem(
                    sobject,
                    column,
                    "does not exist or the integration user cannot read it",
                    "grant Read access to it (field-level security) or change the setting that names it",
                )
            )

    def country(self) -> None:
        if self.has(ACCOUNT, COUNTRY_CODE_COLUMN):
            self.columns[ACCOUNT].append(COUNTRY_CODE_COLUMN)
        elif self.has(ACCOUNT, COUNTRY_NAME_COLUMN):
            self.columns[ACCOUNT].append(COUNTRY_NAME_COLUMN)
            instead = f"the country comes from {COUNTRY_NAME_COLUMN} through the country name table"
            self.fallbacks.append(Fallback(ACCOUNT, COUNTRY_CODE_COLUMN, instead))
        else:
            self.require(ACCOUNT, COUNTRY_NAME_COLUMN)

    def currency(self, sobject: str, configured: bool) -> None:
        if self.has(sobject, CURRENCY_COLUMN):
            self.columns[sobject].append(CURRENCY_COLUMN)
        elif configured:
            self.problems.append(
                SchemaProblem(
                    sobject,
                    CURRENCY_COLUMN,
                    "does not exist: the org is not multi-currency",
                    "remove mapping.currencies (NetSuite then uses the customer's or the "
                    "subsidiary's currency)",
                )
            )
        else:
            self.fallbacks.append(Fallback(sobject, CURRENCY_COLUMN, "no currency is sent"))

    def person_accounts(self) -> None:
        if all(self.has(ACCOUNT, column) for column in PERSON_ACCOUNT_COLUMNS):
            self.columns[ACCOUNT].extend(PERSON_ACCOUNT_COLUMNS)

    def writeback(self, sobject: str, field: str, setting: str, select: bool) -> None:
        info = self.schema.field(sobject, field)
        env = f"BULK_O2C_RUN__{setting.upper()}=false"
        switch_off = f"or switch the write-back of it off: run.{setting} = false (or {env})"
        if info is None:
            problem = "does not exist or the integration user cannot read it"
            fix = f"create the field and give the integration user Edit access to it, {switch_off}"
        elif not info.updateable:
            problem = "is not updateable by the integration user (field-level security: Edit access missing)"
            fix = f"grant Edit access to it in the user's profile or a permission set, {switch_off}"
        else:
            if select:
                self.columns[sobject].append(field)
            return
        self.problems.append(SchemaProblem(sobject, field, problem, fix))


def plan_run(schema: OrgSchema, settings: Settings) -> RunPlan:
    """The plan for a run of ``settings`` against the org ``schema`` describes."""
    planner = _Planner(schema)
    missing = [flow for flow in FLOWS if schema.sobject(flow) is None]
    for flow in missing:
        fix = "enable it in the org and give the integration user Read access to it"
        planner.problems.append(SchemaProblem(flow, None, "is not available to the integration user", fix))
    wanted = mapped_columns(settings.mapping)
    for flow in FLOWS:
        if flow not in missing:
            for column in wanted[flow]:
                planner.require(flow, column)
    if ACCOUNT not in missing:
        planner.country()
        planner.person_accounts()
    for flow in (ACCOUNT, ORDER):
        if flow not in missing:
            planner.currency(flow, bool(settings.mapping.currencies))
    fields = WritebackFields.from_settings(settings.run)
    for flow, field, setting in (
        (ACCOUNT, fields.customer_id, "customer_id_field"),
        (ORDER, fields.sales_order_id, "sales_order_id_field"),
    ):
        if field is None or flow in missing:
            continue
        # Selected too: the id a row already holds decides whether it needs writing back.
        planner.writeback(flow, field, setting, select=True)
        if fields.sync_status is not None:
            planner.writeback(flow, fields.sync_status, "sync_status_field", select=False)
    columns = {flow: tuple(dict.fromkeys(names)) for flow, names in planner.columns.items()}
    return RunPlan(
        MappingProxyType(columns), fields, tuple(planner.fallbacks), tuple(dict.fromkeys(planner.problems))
    )
