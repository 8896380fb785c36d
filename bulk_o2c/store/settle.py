"""What follows, inside the same transaction, when records fail or load: DLQ rows and their dependants.

Rules this module owns:
- A record filed in the DLQ is ``failed`` in staging (``parked`` when its stage is ``dependency``),
  in the same transaction as its DLQ row.
- Records ``waiting`` for a parent (orders for their customer) are settled in the transaction that
  settles the parent: back to ``staged`` when it loaded, ``parked`` with a ``PARENT_FAILED`` DLQ
  row naming the parent's own failure when it failed. Nothing waits on a waiting record, so this
  goes one level deep.
- Id lists travel as one JSON parameter (``json_each``), whatever their length.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import aiosqlite
import orjson

from bulk_o2c.store.database import fetch_all
from bulk_o2c.store.runs import utc_now

DlqStage = Literal["map", "load", "dependency", "writeback"]
PARENT_FAILED = "PARENT_FAILED"


@dataclass(frozen=True, slots=True)
class Failure:
    sf_id: str
    code: str
    message: str


def json_ids(ids: Sequence[str] | set[str]) -> str:
    return orjson.dumps(list(ids)).decode()


def parent_failure(parent_flow: str, parent_id: str, code: str, message: str) -> tuple[str, str]:
    return PARENT_FAILED, f"{parent_flow} {parent_id} failed: {code}: {message}"


async def file_failures(
    tx: aiosqlite.Connection,
    run_id: str,
    flow: str,
    stage: DlqStage,
    failures: Sequence[Failure],
    chunk_ids: Mapping[str, int] | None = None,
) -> list[str]:
    """DLQ rows for ``failures`` and their staging state; returns the dependants parked as a result.
    ``chunk_ids`` names the chunk each record was refused in (a load)."""
    if not failures:
        return []
    now = utc_now()
    chunk_of = chunk_ids or {}
    await tx.executemany(
        "INSERT INTO dlq (run_id, flow, sf_id, stage, code, message, chunk_id, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(run_id, flow, f.sf_id, stage, f.code, f.message, chunk_of.get(f.sf_id), now) for f in failures],
    )
    if stage == "writeback":  # the NetSuite record exists: nothing changes for the record or its dependants
        return []
    await tx.execute(
        "UPDATE staged SET state = ? "
        "WHERE run_id = ? AND flow = ? AND sf_id IN (SELECT value FROM json_each(?))",
        (
            "parked" if stage == "dependency" else "failed",
            run_id,
            flow,
            json_ids([f.sf_id for f in failures]),
        ),
    )
    return await park_dependants(tx, run_id, flow, failures)


async def park_dependants(
    tx: aiosqlite.Connection, run_id: str, parent_flow: str, failures: Sequence[Failure]
) -> list[str]:
    by_parent = {f.sf_id: f for f in failures}
    waiting = await fetch_all(
        tx,
        "SELECT flow, sf_id, parent_id FROM staged "
        "WHERE run_id = ? AND state = 'waiting' AND parent_id IN (SELECT value FROM json_each(?))",
        (run_id, json_ids(list(by_parent))),
    )
    parked: list[str] = []
    for flow in {row[0] for row in waiting}:
        dependants = []
        for child_flow, sf_id, parent_id in waiting:
            if child_flow == flow:
                parent = by_parent[parent_id]
                dependants.append(
                    Failure(sf_id, *parent_failure(parent_flow, parent_id, parent.code, parent.message))
                )
        await file_failures(tx, run_id, flow, "dependency", dependants)
        parked.extend(f.sf_id for f in dependants)
    return parked


async def release_dependants(tx: aiosqlite.Connection, run_id: str, parent_ids: Sequence[str]) -> list[str]:
    """Waiting records whose parent just loaded go back to ``staged``; returns their ids."""
    if not parent_ids:
        return []
    ids = json_ids(parent_ids)
    released = await fetch_all(
        tx,
        "SELECT sf_id FROM staged WHERE run_id = ? AND state = 'waiting' "
        "AND parent_id IN (SELECT value FROM json_each(?)) ORDER BY seq",
        (run_id, ids),
    )
    if released:
        await tx.execute(
            "UPDATE staged SET state = 'staged' "
            "WHERE run_id = ? AND state = 'waiting' AND parent_id IN (SELECT value FROM json_each(?))",
            (run_id, ids),
        )
    return [row[0] for row in released]
