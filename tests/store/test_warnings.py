"""Warnings of loaded records: counted per flow and kind, listed and paged with their records."""

from __future__ import annotations

import io
from collections.abc import Callable

import orjson

from bulk_o2c.record_warnings import RecordWarning, WarningKind
from bulk_o2c.store import CheckpointStore, RecordOutcome
from bulk_o2c.store.export import export_warnings
from tests.store.conftest import Rows, Stage

CUT = RecordWarning(WarningKind.TEXT_CUT, "companyName cut from 97 to 83 characters")
REMOVED = RecordWarning(
    WarningKind.CHARACTERS_REMOVED, "characters XML cannot carry were removed from companyName"
)


async def _load_with(
    store: CheckpointStore, run_id: str, flow: str, warned: dict[str, tuple[RecordWarning, ...]]
) -> None:
    chunk = await store.chunks.create(run_id, flow, list(warned), in_flight=True)
    await store.chunks.complete(
        chunk.chunk_id,
        [
            RecordOutcome(sf_id, "X_" + sf_id, "loaded", internal_id=str(n), warnings=warnings)
            for n, (sf_id, warnings) in enumerate(warned.items(), start=100)
        ],
    )


async def test_warnings_are_counted_per_flow_and_kind_and_listed_with_their_record(
    store: CheckpointStore, run_id: str, stage: Stage, accounts: Callable[..., Rows]
) -> None:
    rows = accounts(3)
    await stage("Account", rows)
    a, b, c = (r["Id"] for r in rows)
    await _load_with(store, run_id, "Account", {a: (CUT, REMOVED), b: (), c: (CUT,)})

    assert await store.warnings.counts(run_id) == {"Account": {"CHARACTERS_REMOVED": 1, "TEXT_CUT": 2}}
    run = await store.runs.get(run_id)
    assert run is not None
    assert (await store.summary(run)).warnings == {"Account": {"CHARACTERS_REMOVED": 1, "TEXT_CUT": 2}}
    entries = await store.warnings.entries(run_id)
    assert [(w.sf_id, w.external_id, w.internal_id, w.kind, w.message) for w in entries] == [
        (a, "X_" + a, "100", "TEXT_CUT", CUT.message),
        (a, "X_" + a, "100", "CHARACTERS_REMOVED", REMOVED.message),
        (c, "X_" + c, "102", "TEXT_CUT", CUT.message),
    ]
    assert entries[0].source == rows[0]


async def test_pages_follow_one_another_without_losing_or_repeating_a_warning(
    store: CheckpointStore, run_id: str, stage: Stage, accounts: Callable[..., Rows]
) -> None:
    rows = accounts(700)
    await stage("Account", rows)
    await _load_with(store, run_id, "Account", {r["Id"]: (CUT, REMOVED) for r in rows})

    text = io.StringIO()
    assert await export_warnings(store.warnings, text, "jsonl", run_id=run_id) == 1400
    lines = [orjson.loads(line) for line in text.getvalue().splitlines()]
    assert [(line["sf_id"], line["kind"]) for line in lines] == [
        (r["Id"], kind) for r in rows for kind in ("TEXT_CUT", "CHARACTERS_REMOVED")
    ]
    assert lines[0]["source"] == rows[0]


async def test_a_warning_written_before_warnings_had_kinds_reads_as_unclassified(
    store: CheckpointStore, run_id: str, stage: Stage, accounts: Callable[..., Rows]
) -> None:
    rows = accounts(1)
    await stage("Account", rows)
    await _load_with(store, run_id, "Account", {rows[0]["Id"]: (CUT,)})
    async with store._database.transaction() as tx:
        legacy = orjson.dumps(["companyName cut from 97 to 83"]).decode()
        await tx.execute("UPDATE outcomes SET warnings = ?", (legacy,))

    (entry,) = await store.warnings.entries(run_id)
    assert (entry.kind, entry.message) == ("UNCLASSIFIED", "companyName cut from 97 to 83")
    assert await store.warnings.counts() == {"Account": {"UNCLASSIFIED": 1}}
