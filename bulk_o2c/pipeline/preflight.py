"""The checks of both ends that ``doctor`` runs, each a ``Finding`` that says what is fine and what
to fix.

Rules this module owns:
- NetSuite, in order: token-based auth and the clock (``getServerTime``); the concurrency bound
  (governance, which also binds the writer's limiter); read access to each record type a run writes
  (a ``get`` by an externalId no record has: harmless, and NetSuite checks the role before it
  looks); the configured subsidiary and price level (``get`` by internal id) and entry forms (the
  ``customForm`` values ``getSelectValue`` lists). Items are named by each order line, not by a
  setting; they are reported as not checked, with how to check one.
  When authentication fails, nothing after it can be asked.
- Salesforce: a token for the configured flow, then every check of ``SALESFORCE_CHECKS``: the org's
  allowances from ``/limits`` against what a run of the given size needs
  (``protocol.salesforce.org_limits``), and the describe checks a run makes (``pipeline.discover``:
  each missing or unreadable field is a failure with its fix, each fallback a fine line).
- A finding's text comes from the error the check met: NetSuite's or Salesforce's code and message,
  never a credential (the transport's errors carry none).
- ``fail`` means a run cannot start or will fail every record; ``warn`` means it can, with something
  to look at.
- A run starts with the quick NetSuite checks (the sink's own: auth, clock, bound; then
  ``run_start_checks``: read access and reference data, a few ``get`` requests): a failure stops it
  before anything is extracted or recorded, a warning is logged. Then one ``/limits`` request
  (``salesforce_run_start_check``) proves Salesforce issues a token for the configured flow (a
  refusal stops the run there) and logs an allowance too low for even a small run. The describe
  checks and the estimate for a given size are ``doctor``'s alone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from bulk_o2c.config import Settings
from bulk_o2c.errors import AuthError, BulkO2CError, ConfigError
from bulk_o2c.mapping.settings import MappingSettings
from bulk_o2c.pipeline.discover import discover
from bulk_o2c.pipeline.sink import CLOCK_SKEW_WARNING_S, refusal_advice
from bulk_o2c.protocol.netsuite.faults import SoapFault
from bulk_o2c.protocol.salesforce.org_limits import parse_limits, run_needs
from bulk_o2c.transport.netsuite.soap_client import SoapClient
from bulk_o2c.transport.netsuite.writer import NetSuiteWriter, open_writer
from bulk_o2c.transport.retry import RetryPolicy
from bulk_o2c.transport.salesforce.auth import SalesforceAuth
from bulk_o2c.transport.salesforce.http import SalesforceHttp, body_limits, client_session

log = logging.getLogger(__name__)

Status = Literal["ok", "warn", "fail", "skip"]
NETSUITE, SALESFORCE = "NetSuite", "Salesforce"
# No record has this externalId; a get of it proves the role may read the type and changes nothing.
PROBE_EXTERNAL_ID = "bulk-o2c-doctor-probe"
RUN_RECORD_TYPES = ("customer", "salesOrder")
_PERMISSIONS = {"customer": "Lists > Customers", "salesOrder": "Transactions > Sales Order"}
# Checks answer in seconds or not at all: one retry of a transient failure, short waits.
CHECK_RETRY = RetryPolicy(max_attempts=2, base_delay_s=0.2, max_delay_s=1.0)


@dataclass(frozen=True, slots=True)
class Finding:
    system: str
    check: str
    status: Status
    detail: str
    fix: str | None = None


def _refusal(error: BulkO2CError) -> str:
    return f"{error.code}: {error.message}" if isinstance(error, SoapFault) and error.code else str(error)


async def netsuite_checks(settings: Settings) -> list[Finding]:
    try:
        async with open_writer(settings.netsuite, retry=CHECK_RETRY) as writer:
            return await _netsuite(writer, settings)
    except ConfigError as exc:
        return [Finding(NETSUITE, "settings", "fail", str(exc), "set the missing settings")]


async def _netsuite(writer: NetSuiteWriter, settings: Settings) -> list[Finding]:
    client = writer.client
    assert isinstance(client, SoapClient)
    try:
        server = await CHECK_RETRY.call(client.server_time)
    except BulkO2CError as exc:
        return [Finding(NETSUITE, "token-based auth", "fail", _refusal(exc), refusal_advice(exc))]
    findings = [Finding(NETSUITE, "token-based auth", "ok", "getServerTime accepted the tokenPassport")]
    skew = (datetime.now(UTC) - server).total_seconds()
    clock = f"this machine's clock is {abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} NetSuite's"
    if abs(skew) > CLOCK_SKEW_WARNING_S:
        findings.append(
            Finding(
                NETSUITE,
                "clock",
                "warn",
                clock,
                "set the clock right (NTP): NetSuite refuses stale passports",
            )
        )
    else:
        findings.append(Finding(NETSUITE, "clock", "ok", clock))
    findings.append(await _concurrency(writer))
    return findings + await _setup(client, settings.mapping)


async def _setup(client: SoapClient, mapping: MappingSettings) -> list[Finding]:
    findings = [await _read_access(client, record_type) for record_type in RUN_RECORD_TYPES]
    return findings + await _reference_data(client, mapping)


async def run_start_checks(writer: NetSuiteWriter, mapping: MappingSettings) -> None:
    """The role's read access and the configured reference data, before a run extracts anything:
    ``ConfigError`` naming every failure; warnings are logged."""
    client = writer.client
    assert isinstance(client, SoapClient)
    findings = await _setup(client, mapping)
    for f in findings:
        if f.status == "warn":
            log.warning("NetSuite %s: %s (%s)", f.check, f.detail, f.fix)
    failed = [f"{f.check}: {f.detail} ({f.fix})" for f in findings if f.status == "fail"]
    if failed:
        raise ConfigError("NetSuite is not set up for this run: " + "; ".join(failed))


async def _concurrency(writer: NetSuiteWriter) -> Finding:
    bound = await writer.bind_concurrency()
    assert bound is not None  # open_writer's writers can always ask
    detail = bound.describe()
    if bound.reported is not None:
        return Finding(NETSUITE, "concurrency", "ok", detail)
    reasons = "; ".join(bound.refusals)
    return Finding(
        NETSUITE,
        "concurrency",
        "warn",
        f"{detail} ({reasons})" if reasons else detail,
        "the governance calls answer administrator roles only: set netsuite.concurrency to this "
        "integration's share of the account pool",
    )


async def _read_access(client: SoapClient, record_type: str) -> Finding:
    check = f"role reads {record_type}"
    try:
        await client.get_record(record_type, external_id=PROBE_EXTERNAL_ID)
    except BulkO2CError as exc:
        return Finding(
            NETSUITE,
            check,
            "fail",
            _refusal(exc),
            f"give the role the {_PERMISSIONS[record_type]} permission at Full (runs create and update them)",
        )
    return Finding(
        NETSUITE, check, "ok", "get answered; write access shows on the first upsert (get cannot test it)"
    )


async def _exists(client: SoapClient, record_type: str, internal_id: str, setting: str) -> Finding:
    check = f"{setting} {internal_id}"
    try:
        found = await client.get_record(record_type, internal_id=internal_id)
    except BulkO2CError as exc:
        return Finding(
            NETSUITE,
            check,
            "warn",
            f"cannot be read: {_refusal(exc)}",
            f"give the role view access to {record_type}",
        )
    if found is None:
        return Finding(
            NETSUITE,
            check,
            "fail",
            f"no {record_type} has internal id {internal_id}",
            f"set {setting} to one that exists",
        )
    return Finding(NETSUITE, check, "ok", f"{record_type} {internal_id} exists")


async def _form(client: SoapClient, record_type: str, form_id: str, setting: str) -> Finding:
    check = f"{setting} {form_id}"
    try:
        forms = await client.select_values(record_type, "customForm")
    except BulkO2CError as exc:
        return Finding(NETSUITE, check, "warn", f"the forms cannot be listed: {_refusal(exc)}")
    if form_id in forms:
        return Finding(NETSUITE, check, "ok", f"{record_type} form {form_id} exists")
    listed = ", ".join(sorted(forms)) or "none"
    return Finding(
        NETSUITE,
        check,
        "fail",
        f"no {record_type} form has internal id {form_id} (the role sees {listed})",
        f"set {setting} to one of them",
    )


async def _reference_data(client: SoapClient, mapping: MappingSettings) -> list[Finding]:
    findings = [await _exists(client, "subsidiary", mapping.subsidiary_id, "mapping.subsidiary_id")]
    if mapping.price_level_id not in (None, "-1"):  # -1 is Custom (the rate applies): always there
        findings.append(await _exists(client, "priceLevel", mapping.price_level_id, "mapping.price_level_id"))
    findings += [
        await _form(client, "customer", mapping.customer_form_id, "mapping.customer_form_id"),
        await _form(client, "salesOrder", mapping.sales_order_form_id, "mapping.sales_order_form_id"),
    ]
    findings.append(
        Finding(
            NETSUITE,
            "items",
            "skip",
            f"each order line names its item ({mapping.item_record_type} by externalId); no setting does",
            "bulk-o2c doctor verify item EXTERNAL_ID checks one",
        )
    )
    return findings


SalesforceCheck = Callable[[SalesforceHttp, Settings, int], Awaitable[list[Finding]]]


async def _org_limits(http: SalesforceHttp, settings: Settings, records: int) -> list[Finding]:
    try:
        answer = await http.request_json("GET", "limits")
    except (AuthError, ConfigError):
        raise  # no token: not a question of limits
    except BulkO2CError as exc:
        return [
            Finding(SALESFORCE, "limits", "warn", f"/limits did not answer: {exc}", "check the API version")
        ]
    needs = run_needs(records, settings.salesforce.page_size, writeback=settings.run.writeback)
    findings = []
    for name, allowance in parse_limits(answer).items():
        if allowance is None:
            findings.append(Finding(SALESFORCE, name, "warn", "not in the /limits answer"))
            continue
        detail = (
            f"{allowance.remaining:,} of {allowance.max:,} left; "
            f"a run of {records:,} records needs about {needs[name]:,}"
        )
        if allowance.remaining < needs[name]:
            findings.append(
                Finding(
                    SALESFORCE,
                    name,
                    "warn",
                    detail,
                    "wait for the daily allowance to renew, or run fewer records",
                )
            )
        else:
            findings.append(Finding(SALESFORCE, name, "ok", detail))
    return findings


async def _org_schema(http: SalesforceHttp, settings: Settings, records: int) -> list[Finding]:
    """The describe checks a run makes (``pipeline.discover``): every object and field it reads or
    writes, field-level security included; the fallbacks it would take."""
    try:
        plan = await discover(http, settings)
    except (AuthError, ConfigError):
        raise
    except BulkO2CError as exc:
        return [Finding(SALESFORCE, "describe", "fail", f"the objects cannot be described: {exc}")]
    findings = [
        Finding(
            SALESFORCE, f"{p.sobject}" + ("" if p.field is None else f".{p.field}"), "fail", p.problem, p.fix
        )
        for p in plan.problems
    ]
    findings += [
        Finding(SALESFORCE, f"{f.sobject}.{f.field}", "ok", f"not in this org: {f.instead}")
        for f in plan.fallbacks
    ]
    if not plan.problems:
        findings.insert(
            0, Finding(SALESFORCE, "describe", "ok", "every object and field a run uses is readable")
        )
    return findings


SALESFORCE_CHECKS: tuple[SalesforceCheck, ...] = (_org_limits, _org_schema)


async def salesforce_checks(settings: Settings, records: int) -> list[Finding]:
    sf = settings.salesforce
    async with client_session() as session:
        try:
            auth = SalesforceAuth(session, sf, retry=CHECK_RETRY)
            await auth.tokens.get()
        except BulkO2CError as exc:
            return [
                Finding(
                    SALESFORCE,
                    f"{sf.auth_flow} token",
                    "fail",
                    str(exc),
                    f"check salesforce.login_url, salesforce.client_id and the {sf.auth_flow} credentials",
                )
            ]
        findings = [Finding(SALESFORCE, f"{sf.auth_flow} token", "ok", "token obtained")]
        http = SalesforceHttp(
            session, auth.tokens, api_version=sf.api_version, retry=CHECK_RETRY, limits=body_limits(sf)
        )
        for check in SALESFORCE_CHECKS:
            findings += await check(http, settings, records)
        return findings


async def salesforce_run_start_check(http: SalesforceHttp, settings: Settings) -> None:
    """A token and the org's allowances in one ``/limits`` request, before a run records anything:
    a refused token raises; an allowance short of a small run, or no answer, is logged."""
    for f in await _org_limits(http, settings, 0):
        if f.status == "warn":
            log.warning("Salesforce %s: %s", f.check, f.detail)
