"""The end-of-run report as a table on the terminal, from the document ``pipeline.report`` writes.

The report's data is the pipeline's; how it looks on an 80-column log is the face's, so the table is
drawn here, above the pipeline (tests/test_layers.py).
"""

from __future__ import annotations

from typing import Any

from bulk_o2c.pipeline.flows import SENT_WITH
from bulk_o2c.pipeline.report import warning_counts
from bulk_o2c.tables import FiguresTable, figure, identifier


def summary_table(document: dict[str, Any]) -> FiguresTable:
    figures = ("extracted", "loaded", "failed", "skipped", "parked", "written back", "rec/s")
    table = FiguresTable(
        (identifier("flow"), *map(figure, figures)),
        title=f"run {document['run_id']} ({document['status']})",
        show_edge=False,
    )
    for flow in document["flows"]:
        name = flow["flow"]
        if name in SENT_WITH:  # loaded inside the records of another flow: nothing of its own
            table.add_row(name, f"{flow['extracted']:,}", *["-"] * 6)
            continue
        table.add_row(
            name,
            f"{flow['extracted']:,}",
            f"{flow['loaded']:,}",
            f"{flow['failed']:,}",
            f"{flow['skipped']:,}",
            f"{flow['parked']:,}",
            f"{flow['written_back']:,}",
            f"{flow['records_per_s']:,.0f}",
        )
    netsuite = document["netsuite"]
    faults = f"; faults {netsuite['faults']}" if netsuite["faults"] else ""
    table.caption = (
        f"{document['wall_seconds']:.1f} s{_over_processes(document)}; "
        f"NetSuite: {netsuite['requests']} requests, "
        f"mean {netsuite['mean_request_s'] * 1000:.0f} ms, peak concurrency {netsuite['peak_concurrency']}"
        f"{faults}; checkpoint writes {document['checkpoint']['share_of_wall']:.1%} of the time; "
        f"DLQ open: {document['dlq_open']}"
    )
    warned = {flow["flow"]: flow["warnings"] for flow in document["flows"] if flow["warnings"]}
    if warned:
        table.caption += f"\nwarnings: {warning_counts(warned)}"
    return table


def _over_processes(document: dict[str, Any]) -> str:
    processes = int(document.get("processes", 1))
    return f" over {processes} processes" if processes > 1 else ""
