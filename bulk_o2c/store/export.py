"""DLQ and warning exports to CSV or JSON Lines, streamed page by page.

Rules this module owns:
- Both formats carry the same fields, the staged Salesforce row included (``source``, as JSON).
- CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
  TAB or CR) get a leading apostrophe: a DLQ holds text from outside, and opening an export must not
  execute it. JSON Lines is written as is; it is for programs.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import AsyncIterable, Sequence
from typing import Any, Literal, TextIO

import orjson

from bulk_o2c.store.dlq import DeadLetter, DeadLetters
from bulk_o2c.store.warnings import EXPORTED_FIELDS, RecordWarnings

ExportFormat = Literal["csv", "jsonl"]
FIELDS = tuple(field.name for field in dataclasses.fields(DeadLetter))
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return "'" + text if text.startswith(_FORMULA_START) else text


async def export(
    letters: DeadLetters,
    out: TextIO,
    fmt: ExportFormat,
    *,
    run_id: str | None = None,
    include_retried: bool = False,
) -> int:
    """Write the DLQ rows to ``out``; returns how many."""
    return await _write(letters.pages(run_id, include_retried=include_retried), FIELDS, out, fmt)


async def export_warnings(
    warnings: RecordWarnings, out: TextIO, fmt: ExportFormat, *, run_id: str | None = None
) -> int:
    """Write every warning with its record to ``out``; returns how many."""
    return await _write(warnings.pages(run_id), EXPORTED_FIELDS, out, fmt)


async def _write(
    pages: AsyncIterable[Sequence[Any]], fields: Sequence[str], out: TextIO, fmt: ExportFormat
) -> int:
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writerow(fields)
    written = 0
    async for page in pages:
        for entry in page:
            values = [getattr(entry, name) for name in fields]
            if writer is not None:
                writer.writerow([_cell(value) for value in values])
            else:
                out.write(orjson.dumps(dict(zip(fields, values, strict=True))).decode() + "\n")
        written += len(page)
    return written
