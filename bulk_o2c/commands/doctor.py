"""``bulk-o2c doctor``: check both ends and say, line by line, what is fine and what to fix; and
``doctor verify``: fetch one NetSuite record by externalId.

Rules this module owns:
- The report is the findings of ``pipeline.preflight``, NetSuite first; a run can start when none
  failed. Human lines by default, one JSON document with ``--json`` (for monitoring).
- Nothing printed comes from a setting's secret: findings carry NetSuite's and Salesforce's answers
  and the names of settings, never their values.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from rich.text import Text

from bulk_o2c.config import Settings
from bulk_o2c.console import styled
from bulk_o2c.errors import ConfigError
from bulk_o2c.pipeline.preflight import CHECK_RETRY, Finding, netsuite_checks, salesforce_checks
from bulk_o2c.protocol.netsuite.response import FetchedRecord
from bulk_o2c.transport.netsuite.soap_client import SoapClient
from bulk_o2c.transport.netsuite.writer import open_writer

_STATUS_STYLE = {
    "ok": ("green", "ok"),
    "warn": ("yellow", "warn"),
    "fail": ("red", "FAIL"),
    "skip": ("dim", "skip"),
}
# What ``doctor verify`` accepts, and the NetSuite record type each names.
VERIFY_TYPES = ("customer", "sales-order", "item")


@dataclass(frozen=True, slots=True)
class DoctorReport:
    findings: tuple[Finding, ...]

    @property
    def can_run(self) -> bool:
        return all(f.status != "fail" for f in self.findings)

    def to_json(self) -> str:
        return json.dumps({"can_run": self.can_run, "findings": [asdict(f) for f in self.findings]}, indent=2)

    def lines(self) -> list[Text]:
        lines = []
        for f in self.findings:
            style, word = _STATUS_STYLE[f.status]
            lines.append(styled(style, f"{word:<4}", f"  {f.system:<10} {f.check}: {f.detail}"))
            if f.fix is not None and f.status != "ok":
                lines.append(Text(f"{'':<4}  {'':<10} {'note' if f.status == 'skip' else 'fix'}: {f.fix}"))
        failed = sum(1 for f in self.findings if f.status == "fail")
        if failed:
            lines.append(styled("red", "a run cannot start:", f" {failed} problem(s) to fix above"))
        else:
            lines.append(styled("green", "a run can start"))
        return lines


async def diagnose(settings: Settings, records: int) -> DoctorReport:
    """Every check of both ends; ``records`` sizes the Salesforce allowance estimate."""
    return DoctorReport(tuple(await netsuite_checks(settings) + await salesforce_checks(settings, records)))


def record_type_of(kind: str, settings: Settings) -> str:
    if kind == "customer":
        return "customer"
    if kind == "sales-order":
        return "salesOrder"
    if kind == "item":
        return settings.mapping.item_record_type
    raise ConfigError(f"doctor verify takes one of {', '.join(VERIFY_TYPES)}, not {kind!r}")


async def verify(settings: Settings, kind: str, external_id: str) -> FetchedRecord | None:
    """The NetSuite record of that type with that externalId, or None when there is none."""
    record_type = record_type_of(kind, settings)
    async with open_writer(settings.netsuite, retry=CHECK_RETRY) as writer:
        client = writer.client
        assert isinstance(client, SoapClient)
        return await client.get_record(record_type, external_id=external_id)


def record_lines(kind: str, external_id: str, record: FetchedRecord | None) -> list[Text]:
    if record is None:
        return [styled("red", "not found:", f" NetSuite has no {kind} with externalId {external_id}")]
    lines = [
        styled(
            "green",
            f"{kind} {record.external_id}",
            f": internal id {record.internal_id} ({record.record_type})",
        )
    ]
    lines += [Text(f"  {name}: {value}") for name, value in record.fields.items()]
    return lines


def record_json(kind: str, external_id: str, record: FetchedRecord | None) -> str:
    found = None if record is None else asdict(record)
    return json.dumps(
        {"kind": kind, "external_id": external_id, "found": record is not None, "record": found}, indent=2
    )
