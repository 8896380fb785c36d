"""The warnings of records sent to NetSuite, read from ``outcomes.warnings``.

What a warning is: ``bulk_o2c.record_warnings``.

Rules this module owns:
- One entry per warning, in checkpoint order: outcome row, then the warning's place in its record.
  An entry carries its record (flow, Salesforce id, external and internal id) and, as DLQ entries
  do, the staged Salesforce row (``source``).
- Counts are per flow and kind, so a summary can say "Account: TEXT_CUT 12" without reading them all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from bulk_o2c.record_warnings import WarningKind
from bulk_o2c.store.database import Database
from bulk_o2c.store.rows import decode_source, source_join

# A warning written before warnings had kinds is a plain string (bulk_o2c.record_warnings).
_KIND = (
    f"CASE w.type WHEN 'object' THEN json_extract(w.value, '$.kind') ELSE '{WarningKind.UNCLASSIFIED}' END"
)
_MESSAGE = "CASE w.type WHEN 'object' THEN json_extract(w.value, '$.message') ELSE w.value END"
_WARNINGS = "outcomes o, json_each(o.warnings) w"
_OF_RUN = "o.warnings IS NOT NULL AND (?1 IS NULL OR o.run_id = ?1)"


@dataclass(frozen=True, slots=True)
class WarnedRecord:
    run_id: str
    flow: str
    sf_id: str
    external_id: str
    internal_id: str | None
    kind: str
    message: str
    source: dict[str, str] | None  # the staged Salesforce row
    position: tuple[int, int] = field(default=(0, 0), repr=False, compare=False)  # paging key


EXPORTED_FIELDS = ("run_id", "flow", "sf_id", "external_id", "internal_id", "kind", "message", "source")


class RecordWarnings:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def counts(self, run_id: str | None = None) -> dict[str, dict[str, int]]:
        """``{flow: {kind: n}}`` of one run, or of all."""
        rows = await self._db.fetch_all(
            f"SELECT o.flow, {_KIND} AS kind, count(*) FROM {_WARNINGS} WHERE {_OF_RUN} "  # noqa: S608
            "GROUP BY o.flow, kind ORDER BY o.flow, kind",
            (run_id,),
        )
        counts: dict[str, dict[str, int]] = {}
        for flow, kind, count in rows:
            counts.setdefault(flow, {})[kind] = count
        return counts

    async def entries(
        self, run_id: str | None = None, *, after: tuple[int, int] = (0, -1), limit: int = 1000
    ) -> list[WarnedRecord]:
        """A page of warnings in checkpoint order, after the ``position`` of the last one read."""
        rows = await self._db.fetch_all(
            f"SELECT o.run_id, o.flow, o.sf_id, o.external_id, o.internal_id, {_KIND}, {_MESSAGE}, "  # noqa: S608
            f"s.row, e.header, o.rowid, w.key FROM {_WARNINGS} {source_join('o')} "
            f"WHERE {_OF_RUN} AND (o.rowid, w.key) > (?2, ?3) ORDER BY o.rowid, w.key LIMIT ?4",
            (run_id, *after, limit),
        )
        return [
            WarnedRecord(
                run, flow, sf_id, ext, internal, kind, message, decode_source(src, header), (rid, key)
            )
            for run, flow, sf_id, ext, internal, kind, message, src, header, rid, key in rows
        ]

    async def pages(self, run_id: str | None = None) -> AsyncIterator[list[WarnedRecord]]:
        after = (0, -1)
        while page := await self.entries(run_id, after=after):
            yield page
            after = page[-1].position
