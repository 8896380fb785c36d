"""The end-of-run report: counts per flow, and the requests, time and pace of every process of the run.

The JSON beside the human table (``bulk_o2c.report_table``) is the same data, for schedulers and
dashboards. Everything comes from the checkpoint, not from the live counters, so a resumed run
reports the whole run, not the part since the last restart: counts from the records, requests and
seconds from each process's recorded figures, added up (a process killed with SIGKILL counts up to
its last record).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bulk_o2c.pipeline.figures import FlowFigures, RunFigures
from bulk_o2c.store.store import RunSummary

REPORTS_DIR = "reports"


@dataclass(frozen=True, slots=True)
class FlowReport:
    flow: str
    extracted: int
    loaded: int
    failed: int
    skipped: int
    parked: int
    waiting: int
    written_back: int
    writeback_failed: int
    records_per_s: float
    warnings: dict[str, int]  # kind -> records' warnings of that kind (bulk-o2c warnings list)


def flow_reports(summary: RunSummary, figures: RunFigures) -> list[FlowReport]:
    extracted = {p.flow: p.rows_staged for p in summary.extractions}
    reports = []
    for flow in extracted:
        states = summary.records.get(flow, {})
        outcomes = summary.outcomes.get(flow, {})
        writeback = summary.writeback.get(flow, {})
        reports.append(
            FlowReport(
                flow=flow,
                extracted=extracted[flow],
                loaded=outcomes.get("loaded", 0),
                failed=states.get("failed", 0),
                skipped=states.get("skipped", 0),
                parked=states.get("parked", 0),
                waiting=states.get("waiting", 0),
                written_back=writeback.get("done", 0),
                writeback_failed=writeback.get("failed", 0),
                records_per_s=figures.flows.get(flow, FlowFigures()).records_per_s,
                warnings=summary.warnings.get(flow, {}),
            )
        )
    return reports


def report_document(summary: RunSummary, checkpoint: Path) -> dict[str, Any]:
    """The run's report: every figure covers all of its processes (``pipeline.figures``)."""
    figures = RunFigures.of(summary.processes)
    requests, wall_s = figures.netsuite, figures.seconds
    return {
        "run_id": summary.run.run_id,
        # The report is written as the process ends, so an unfinished run is not running any more.
        "status": "stopped" if summary.run.status == "running" else summary.run.status,
        "started_at": summary.run.started_at,
        "finished_at": summary.run.finished_at,
        "processes": figures.processes,
        "wall_seconds": round(wall_s, 3),  # the time its processes ran, not the pauses between
        "checkpoint": {
            "path": str(checkpoint),
            "write_seconds": round(figures.checkpoint_write_s, 3),
            "write_transactions": figures.checkpoint_transactions,
            "share_of_wall": round(figures.checkpoint_write_s / wall_s, 4) if wall_s > 0 else 0.0,
        },
        "dlq_open": summary.dlq_open,
        "flows": [vars_of(r) for r in flow_reports(summary, figures)],
        "chunks": summary.chunks,
        "netsuite": {
            "requests": requests.attempts,
            "records_sent": requests.records_sent,
            "mean_request_s": round(requests.latency_mean_s, 4),
            "p50_request_s": round(requests.latency_p50_s, 4),
            "p95_request_s": round(requests.latency_p95_s, 4),
            "max_request_s": round(requests.latency_max_s, 4),
            "peak_concurrency": requests.peak_concurrency,
            "faults": requests.faults,
        },
        "salesforce": {"requests": figures.salesforce_requests},
    }


def vars_of(report: FlowReport) -> dict[str, Any]:
    return {name: getattr(report, name) for name in report.__slots__}


def write_report(document: dict[str, Any], state_dir: Path) -> Path:
    path = state_dir / REPORTS_DIR / f"{document['run_id']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    return path


def warnings_total(document: dict[str, Any]) -> int:
    return sum(sum(flow["warnings"].values()) for flow in document["flows"])


def warning_counts(by_flow: dict[str, dict[str, int]]) -> str:
    """``Account TEXT_CUT 3, CHARACTERS_REMOVED 1; Order ...``, or ``-``."""
    return (
        "; ".join(
            f"{flow} " + ", ".join(f"{kind} {n:,}" for kind, n in kinds.items())
            for flow, kinds in sorted(by_flow.items())
        )
        or "-"
    )
