from __future__ import annotations

import csv
import io
from collections.abc import Callable

import orjson

from bulk_o2c.store import CheckpointStore, Failure, export
from tests.store.conftest import Rows, Stage


async def test_csv_and_jsonl_carry_every_entry_with_its_source_row(
    store: CheckpointStore, run_id: str, stage: Stage, accounts: Callable[..., Rows]
) -> None:
    rows = accounts(1200)  # more than one page of entries
    await stage("Account", rows)
    await store.dlq.add(run_id, "Account", "map", [Failure(r["Id"], "MAPPING_X", "why") for r in rows])
    text = io.StringIO()
    assert await export(store.dlq, text, "jsonl", run_id=run_id) == 1200
    lines = [orjson.loads(line) for line in text.getvalue().splitlines()]
    assert [line["source"] for line in lines] == rows
    assert {line["code"] for line in lines} == {"MAPPING_X"}
    table = io.StringIO()
    assert await export(store.dlq, table, "csv") == 1200
    records = list(csv.DictReader(io.StringIO(table.getvalue())))
    assert [orjson.loads(r["source"]) for r in records] == rows
    assert records[0]["stage"] == "map"
    assert records[0]["retried_at"] == ""


async def test_csv_cells_cannot_run_as_spreadsheet_formulas(
    store: CheckpointStore, run_id: str, stage: Stage
) -> None:
    hostile = {"Id": "001000000000000001", "Name": '=HYPERLINK("http://x","y")'}
    await stage("Account", [hostile])
    await store.dlq.add(
        run_id, "Account", "map", [Failure(hostile["Id"], "MAPPING_X", "@SUM(A1:A9)\nline 2")]
    )
    table = io.StringIO()
    await export(store.dlq, table, "csv", run_id=run_id)
    (record,) = csv.DictReader(io.StringIO(table.getvalue()))
    assert record["message"] == "'@SUM(A1:A9)\nline 2"
    assert record["source"].startswith("{")  # JSON, so the formula inside is no cell of its own
    text = io.StringIO()
    await export(store.dlq, text, "jsonl", run_id=run_id)
    assert orjson.loads(text.getvalue())["message"] == "@SUM(A1:A9)\nline 2"  # JSONL is for programs: as is
