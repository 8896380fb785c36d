"""Staged Salesforce records: what still needs loading, an order's lines, and orders held for customers.

Rules this module owns:
- A staged record's state moves ``staged -> queued -> loaded | failed`` (``queued`` goes back to
  ``staged`` on a per-record retry), or ``staged -> waiting -> staged | parked`` for a record whose
  parent is not in NetSuite yet, or ``staged -> skipped`` when it is unchanged since its last load.
- ``ready`` lists ``staged`` records in staging order, keyset-paged by ``seq`` so memory stays flat.
- ``hold_for_parents`` decides in one transaction, so a parent settling at the same moment cannot
  leave a record waiting forever: a parent in the id cross-reference (loaded by this run or an
  earlier one) is ``READY``; one still to load in this run makes the record ``WAITING``; one that
  failed parks the record with the parent's reason; one neither known nor staged is ``UNKNOWN``
  and the caller decides (nothing is written for it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bulk_o2c.store.database import Database, Params, fetch_all
from bulk_o2c.store.rows import decode_row
from bulk_o2c.store.settle import Failure, file_failures, json_ids, parent_failure


class Readiness(StrEnum):
    READY = "ready"
    WAITING = "waiting"
    PARKED = "parked"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class StagedRecord:
    sf_id: str
    parent_id: str | None
    seq: int
    row: dict[str, str]


def _record(row: Params, header: str | None) -> StagedRecord:
    sf_id, parent_id, seq, data = row
    return StagedRecord(sf_id, parent_id, seq, decode_row(data, header))


class Staging:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def _header(self, run_id: str, flow: str) -> str | None:
        found = await self._db.fetch_one(
            "SELECT header FROM extractions WHERE run_id = ? AND flow = ?", (run_id, flow)
        )
        return None if found is None else found[0]

    async def ready(
        self, run_id: str, flow: str, *, after_seq: int = -1, limit: int = 1000
    ) -> list[StagedRecord]:
        """The next ``limit`` records still to load, after ``after_seq``."""
        rows = await self._db.fetch_all(
            "SELECT sf_id, parent_id, seq, row FROM staged "
            "WHERE run_id = ? AND flow = ? AND state = 'staged' AND seq > ? ORDER BY seq LIMIT ?",
            (run_id, flow, after_seq, limit),
        )
        header = await self._header(run_id, flow)
        return [_record(row, header) for row in rows]

    async def records(self, run_id: str, flow: str, sf_ids: Sequence[str]) -> list[StagedRecord]:
        """These records, in the order asked (a chunk's, to send it again)."""
        rows = await self._db.fetch_all(
            "SELECT sf_id, parent_id, seq, row FROM staged "
            "WHERE run_id = ? AND flow = ? AND sf_id IN (SELECT value FROM json_each(?))",
            (run_id, flow, json_ids(sf_ids)),
        )
        header = await self._header(run_id, flow)
        found = {row[0]: _record(row, header) for row in rows}
        return [found[sf_id] for sf_id in sf_ids if sf_id in found]

    async def children(
        self, run_id: str, flow: str, parent_ids: Sequence[str]
    ) -> dict[str, list[dict[str, str]]]:
        """The ``flow`` rows of each parent, in staging order (an order's lines)."""
        rows = await self._db.fetch_all(
            "SELECT parent_id, row FROM staged "
            "WHERE run_id = ? AND parent_id IN (SELECT value FROM json_each(?)) AND +flow = ? ORDER BY seq",
            (run_id, json_ids(parent_ids), flow),
        )
        header = await self._header(run_id, flow)
        grouped: dict[str, list[dict[str, str]]] = {parent_id: [] for parent_id in parent_ids}
        for parent_id, data in rows:
            grouped[parent_id].append(decode_row(data, header))
        return grouped

    async def hold_for_parents(
        self, run_id: str, flow: str, parent_flow: str, parents: Mapping[str, str]
    ) -> dict[str, Readiness]:
        """For each record (``sf_id -> parent sf_id``): may it be sent now? Waits and parks as needed."""
        parent_ids = json_ids(set(parents.values()))
        async with self._db.transaction() as tx:
            known = {
                row[0]
                for row in await fetch_all(
                    tx,
                    "SELECT sf_id FROM xref WHERE flow = ? AND sf_id IN (SELECT value FROM json_each(?))",
                    (parent_flow, parent_ids),
                )
            }
            states: dict[str, str] = dict(
                await fetch_all(
                    tx,
                    "SELECT sf_id, state FROM staged "
                    "WHERE run_id = ? AND flow = ? AND sf_id IN (SELECT value FROM json_each(?))",
                    (run_id, parent_flow, parent_ids),
                )
            )
            reasons = {
                sf_id: (code, message)
                for sf_id, code, message in await fetch_all(
                    tx,
                    "SELECT sf_id, code, message FROM dlq "
                    "WHERE run_id = ? AND flow = ? AND retried_at IS NULL "
                    "AND sf_id IN (SELECT value FROM json_each(?)) ORDER BY dlq_id",
                    (run_id, parent_flow, parent_ids),
                )
            }
            verdicts: dict[str, Readiness] = {}
            parked: list[Failure] = []
            for sf_id, parent_id in parents.items():
                state = states.get(parent_id)
                if parent_id in known:
                    verdicts[sf_id] = Readiness.READY
                elif state in ("staged", "queued"):
                    verdicts[sf_id] = Readiness.WAITING
                elif state in ("failed", "parked"):
                    verdicts[sf_id] = Readiness.PARKED
                    code, message = reasons.get(parent_id, ("UNKNOWN", "no reason recorded"))
                    parked.append(Failure(sf_id, *parent_failure(parent_flow, parent_id, code, message)))
                else:
                    verdicts[sf_id] = Readiness.UNKNOWN
            waiting = [sf_id for sf_id, verdict in verdicts.items() if verdict is Readiness.WAITING]
            if waiting:
                await tx.execute(
                    "UPDATE staged SET state = 'waiting' "
                    "WHERE run_id = ? AND flow = ? AND sf_id IN (SELECT value FROM json_each(?))",
                    (run_id, flow, json_ids(waiting)),
                )
            await file_failures(tx, run_id, flow, "dependency", parked)
        return verdicts

    async def waiting(self, run_id: str, flow: str) -> list[tuple[str, str]]:
        """(record, parent) for the records waiting for their parent."""
        rows = await self._db.fetch_all(
            "SELECT sf_id, parent_id FROM staged "
            "WHERE run_id = ? AND +flow = ? AND state = 'waiting' ORDER BY seq",
            (run_id, flow),
        )
        return [(sf_id, parent_id) for sf_id, parent_id in rows]

    async def skip(self, run_id: str, flow: str, sf_ids: Sequence[str]) -> None:
        """Records unchanged since their last load (a write-back only moved their timestamp)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE staged SET state = 'skipped' WHERE run_id = ? AND flow = ? AND +state = 'staged' "
                "AND sf_id IN (SELECT value FROM json_each(?))",
                (run_id, flow, json_ids(sf_ids)),
            )

    async def counts(self, run_id: str) -> dict[str, dict[str, int]]:
        """``{flow: {state: n}}`` for the run's staged records."""
        counts: dict[str, dict[str, int]] = {}
        for flow, state, count in await self._db.fetch_all(
            "SELECT flow, state, count(*) FROM staged WHERE run_id = ? GROUP BY flow, state", (run_id,)
        ):
            counts.setdefault(flow, {})[state] = count
        return counts
