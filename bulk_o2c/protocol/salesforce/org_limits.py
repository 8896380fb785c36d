"""The org's allowances from ``GET /services/data/vXX.X/limits``, and what one run needs of them.

Rules this module owns:
- Four allowances matter to a run: ``DailyApiRequests``, ``DailyBulkV2QueryJobs``,
  ``DailyBulkV2QueryFileStorageMB`` and ``DailyBulkApiBatches``. Each is ``{"Max": n, "Remaining": n}``;
  one that is missing or not shaped so is reported as unknown (None), never guessed.
- What a run needs is an estimate, on the generous side, from the records it is expected to read:
  one query job per extracted object (Account, Order, OrderItem); API requests for each job's
  create, polls, result pages and delete, and for the write-back's ingest jobs; query storage at
  about 1 KB a row; one Bulk batch per 10,000 records written back (Salesforce counts an ingest
  job's data in batches of that size), per write-back object.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

ALLOWANCES = (
    "DailyApiRequests",
    "DailyBulkV2QueryJobs",
    "DailyBulkV2QueryFileStorageMB",
    "DailyBulkApiBatches",
)
_QUERY_OBJECTS = 3  # Account, Order, OrderItem
_WRITEBACK_OBJECTS = 2  # Account, Order
_POLLS_PER_JOB = 20  # polls back off to salesforce.poll_max_s; most jobs finish in far fewer
_CALLS_PER_INGEST_JOB = 6  # create, upload, close, poll (a few), results
_ROW_KB = 1.0
_INGEST_BATCH_RECORDS = 10_000


@dataclass(frozen=True, slots=True)
class Allowance:
    max: int
    remaining: int


def parse_limits(data: Any) -> dict[str, Allowance | None]:
    """The four allowances a run uses, each None when the answer does not carry it."""
    found: dict[str, Allowance | None] = {}
    for name in ALLOWANCES:
        entry = data.get(name) if isinstance(data, dict) else None
        figures = (entry.get("Max"), entry.get("Remaining")) if isinstance(entry, dict) else (None, None)
        if all(isinstance(f, int) and not isinstance(f, bool) and f >= 0 for f in figures):
            found[name] = Allowance(int(figures[0] or 0), int(figures[1] or 0))
        else:
            found[name] = None
    return found


def run_needs(records: int, page_size: int, *, writeback: bool) -> dict[str, int]:
    """What a run reading ``records`` rows (all objects together) is expected to use of each allowance."""
    pages = _QUERY_OBJECTS + math.ceil(records / page_size)
    requests = _QUERY_OBJECTS * (2 + _POLLS_PER_JOB) + pages
    batches = 0
    if writeback:
        requests += _WRITEBACK_OBJECTS * _CALLS_PER_INGEST_JOB
        batches = _WRITEBACK_OBJECTS * max(1, math.ceil(records / _INGEST_BATCH_RECORDS))
    return {
        "DailyApiRequests": requests,
        "DailyBulkV2QueryJobs": _QUERY_OBJECTS,
        "DailyBulkV2QueryFileStorageMB": max(1, math.ceil(records * _ROW_KB / 1024)),
        "DailyBulkApiBatches": batches,
    }
