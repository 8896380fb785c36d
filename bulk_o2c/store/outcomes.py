"""Per-record outcomes of a load, and the Salesforce -> NetSuite id cross-reference across runs.

Rules this module owns:
- ``loaded``: the record is in NetSuite; its internal id enters the cross-reference (``xref``),
  which keeps the latest known id and payload digest per (flow, Salesforce id) over all runs.
- ``failed``: NetSuite refused the record for good; it goes to the DLQ with NetSuite's code.
- ``retry``: a per-record transient refusal; the record goes back to ``staged`` and is loaded again
  in a later chunk. It leaves no outcome.
- The digest is the caller's fingerprint of the payload it sent. A record whose new payload has the
  digest of its last load needs no new upsert: that is how a write-back, which only moves the
  record's SystemModstamp, stays out of the next delta's load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bulk_o2c.record_warnings import RecordWarning
from bulk_o2c.store.database import Database
from bulk_o2c.store.settle import json_ids

OutcomeStatus = Literal["loaded", "failed", "retry"]


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    sf_id: str
    external_id: str
    status: OutcomeStatus
    internal_id: str | None = None
    code: str | None = None  # failed / retry: NetSuite's status code
    message: str | None = None
    warnings: tuple[RecordWarning, ...] = ()
    needs_writeback: bool = False  # the Salesforce record does not hold this internal id yet
    digest: str | None = None

    def __post_init__(self) -> None:
        if self.status == "loaded" and not self.internal_id:
            raise ValueError(f"a loaded record has an internal id ({self.sf_id})")
        if self.status != "loaded" and not self.code:
            raise ValueError(f"a {self.status} record has a code ({self.sf_id})")


@dataclass(frozen=True, slots=True)
class CrossReference:
    external_id: str
    internal_id: str
    digest: str | None
    run_id: str


class Outcomes:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def cross_reference(self, flow: str, sf_ids: Sequence[str]) -> dict[str, CrossReference]:
        """The NetSuite ids known for these Salesforce records, from any run."""
        rows = await self._db.fetch_all(
            "SELECT sf_id, external_id, internal_id, digest, run_id FROM xref "
            "WHERE flow = ? AND sf_id IN (SELECT value FROM json_each(?))",
            (flow, json_ids(sf_ids)),
        )
        return {sf_id: CrossReference(*rest) for sf_id, *rest in rows}

    async def counts(self, run_id: str) -> dict[str, dict[str, int]]:
        """``{flow: {status: n}}`` for the run's outcomes."""
        rows = await self._db.fetch_all(
            "SELECT flow, status, count(*) FROM outcomes WHERE run_id = ? GROUP BY flow, status", (run_id,)
        )
        counts: dict[str, dict[str, int]] = {}
        for flow, status, count in rows:
            counts.setdefault(flow, {})[status] = count
        return counts
