"""A sweep's figures as a terminal table, a JSON document and a CSV file: the same rows in each.

Rules this module owns:

- One row per setting, in sweep order, with the same columns everywhere: records/s, p50 and p95
  request latency in milliseconds, faults by code, and, against a sandbox, ceiling and efficiency
  (empty in CSV and ``null`` in JSON for a real account).
- Figures are rounded for reading (0.1 record/s, 1 ms, 0.1 % efficiency); the JSON keeps the
  unrounded faults and the recommendation's reason.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from bulk_o2c.bench.sweep import BenchResult, BenchRow
from bulk_o2c.tables import FiguresTable, figure, label

COLUMNS = (
    "concurrency",
    "chunk_size",
    "records",
    "saved",
    "failed",
    "seconds",
    "records_per_s",
    "p50_ms",
    "p95_ms",
    "requests",
    "peak_concurrency",
    "faults",
    "ceiling_records_per_s",
    "efficiency",
    "recommended",
)


def row_values(row: BenchRow, recommended: bool) -> dict[str, Any]:
    efficiency = row.efficiency
    return {
        "concurrency": row.setting.concurrency,
        "chunk_size": row.setting.chunk_size,
        "records": row.records,
        "saved": row.saved,
        "failed": row.failed,
        "seconds": round(row.seconds, 3),
        "records_per_s": round(row.records_per_s, 1),
        "p50_ms": round(row.latency_p50_s * 1000),
        "p95_ms": round(row.latency_p95_s * 1000),
        "requests": row.requests,
        "peak_concurrency": row.peak_concurrency,
        "faults": dict(sorted(row.faults.items())),
        "ceiling_records_per_s": round(row.ceiling, 1) if efficiency is not None and row.ceiling else None,
        "efficiency": round(efficiency, 3) if efficiency is not None else None,
        "recommended": recommended,
    }


def rows_of(result: BenchResult) -> list[dict[str, Any]]:
    chosen = result.recommendation.setting
    return [row_values(row, row.setting == chosen) for row in result.rows]


def to_document(result: BenchResult) -> dict[str, Any]:
    chosen = result.recommendation.setting
    return {
        "target": result.target,
        "external_id_prefix": result.prefix,
        "recommendation": {
            "concurrency": chosen.concurrency if chosen else None,
            "chunk_size": chosen.chunk_size if chosen else None,
            "reason": result.recommendation.reason,
        },
        "settings": rows_of(result),
    }


def write_json(result: BenchResult, path: Path) -> None:
    path.write_text(json.dumps(to_document(result), indent=2) + "\n", encoding="utf-8")


def _faults_text(faults: dict[str, int]) -> str:
    return " ".join(f"{code}:{n}" for code, n in faults.items())


def write_csv(result: BenchResult, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for values in rows_of(result):
            writer.writerow(
                values
                | {
                    "faults": _faults_text(values["faults"]),
                    "ceiling_records_per_s": values["ceiling_records_per_s"] or "",
                    "efficiency": "" if values["efficiency"] is None else values["efficiency"],
                }
            )


def bench_table(result: BenchResult) -> FiguresTable:
    headings = [figure(h) for h in ("conc.", "chunk", "saved", "s", "rec/s", "p50 ms", "p95 ms")]
    table = FiguresTable(
        (*headings, label("faults"), figure("ceiling"), figure("eff.")),
        title=f"bulk-o2c bench: {result.target}",
        caption=f"recommended (*): {result.recommendation.reason}",
    )
    for values in rows_of(result):
        efficiency = values["efficiency"]
        ceiling = values["ceiling_records_per_s"]
        style = "bold green" if values["recommended"] else None
        table.add_row(
            ("* " if values["recommended"] else "") + str(values["concurrency"]),
            str(values["chunk_size"]),
            f"{values['saved']:,}" + (f"/{values['records']:,}" if values["failed"] else ""),
            f"{values['seconds']:.1f}",
            f"{values['records_per_s']:,.1f}",
            str(values["p50_ms"]),
            str(values["p95_ms"]),
            _faults_text(values["faults"]) or "-",
            f"{ceiling:,.1f}" if ceiling is not None else "-",
            f"{efficiency:.1%}" if efficiency is not None else "-",
            style=style,
        )
    return table
