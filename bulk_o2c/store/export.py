"""DLQ export to CSV or JSON Lines, streamed page by page.

Rules this module owns:
- Both formats carry the same fields, the staged Salesforce row included (``source``, as JSON).
- CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
  TAB or CR) get a leading apostrophe: a DLQ holds text from outside, and opening an export must not
  execute it. JSON Lines is written as is; it is for programs.
"""

from __future__ import annotations

import csv
import dataclasses
from typing import Literal, TextIO

import orjson

from bulk_o2c.store.dlq import DeadLetter, DeadLetters

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
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writerow(FIELDS)
    written, after = 0, 0
    while page := await letters.entries(run_id, include_retried=include_retried, after_id=after):
        for letter in page:
            if writer is not None:
                writer.writerow([_cell(getattr(letter, name)) for name in FIELDS])
            else:
                out.write(orjson.dumps(dataclasses.asdict(letter)).decode() + "\n")
        written += len(page)
        after = page[-1].dlq_id
    return written
