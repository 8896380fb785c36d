from __future__ import annotations

from typing import Any

import anyio
from rich.console import Console

from bulk_o2c.commands.demo import Sandboxes
from bulk_o2c.config import Settings
from bulk_o2c.pipeline.metrics import RunMetrics
from bulk_o2c.pipeline.report import report_document, summary_table
from bulk_o2c.pipeline.run import run_pipeline
from bulk_o2c.store.store import open_store


def _flow(
    name: str, extracted: int, loaded: int = 0, warnings: dict[str, int] | None = None
) -> dict[str, Any]:
    return {
        "flow": name,
        "extracted": extracted,
        "loaded": loaded,
        "failed": 0,
        "skipped": 0,
        "parked": 0,
        "written_back": loaded,
        "records_per_s": 0.0,
        "warnings": warnings or {},
    }


def _document(*flows: dict[str, Any]) -> dict[str, Any]:
    return {
        "run_id": "20261127T000000Z-abcdef",
        "status": "completed",
        "flows": list(flows),
        "netsuite": {"faults": {}, "requests": 6, "mean_request_s": 0.05, "peak_concurrency": 3},
        "wall_seconds": 6.6,
        "checkpoint": {"share_of_wall": 0.005},
        "dlq_open": 33,
    }


def test_the_summary_fits_an_80_column_log_and_order_lines_count_in_their_orders() -> None:
    document = _document(_flow("Account", 300, 294), _flow("Order", 300, 273), _flow("OrderItem", 1_859))
    console = Console(width=80, record=True, soft_wrap=True)
    console.print(summary_table(document))
    text = console.export_text()
    assert "…" not in text  # no name or header cut short
    assert "extracted" in text
    (items,) = [line for line in text.splitlines() if "OrderItem" in line]
    assert items.split()[1:] == ["│", "1,859", *["│", "-"] * 6]


def test_the_summary_counts_warnings_per_flow_and_kind() -> None:
    document = _document(
        _flow("Account", 300, 294, {"CHARACTERS_REMOVED": 8, "TEXT_CUT": 11}),
        _flow("Order", 300, 273),
        _flow("OrderItem", 1_859),
    )
    console = Console(width=80, record=True, soft_wrap=True)
    console.print(summary_table(document))
    assert "warnings: Account CHARACTERS_REMOVED 8, TEXT_CUT 11" in console.export_text()


async def test_the_report_of_a_resumed_run_adds_up_every_process(
    boxes: Sandboxes, settings: Settings
) -> None:
    stop = anyio.Event()

    async def stop_mid_load(metrics: RunMetrics) -> None:
        # The sandbox has no event to wait on: poll it, as the kill tests do.
        while True:
            if boxes.netsuite.stats.records_written >= 100:
                stop.set()
                return
            await anyio.sleep(0.005)

    first = await run_pipeline(settings, stop=stop, watch=stop_mid_load)
    assert not first.completed
    second = await run_pipeline(settings)
    assert second.completed
    assert second.run.run_id == first.run.run_id
    async with open_store(second.checkpoint) as store:
        document = report_document(await store.summary(second.run), second.checkpoint)

    netsuite = document["netsuite"]
    assert document["processes"] == 2
    # Every attempt either process made, as the NetSuite sandbox counted them: not the last one's.
    assert netsuite["requests"] == boxes.netsuite.stats.requests
    console = Console(width=80, record=True, soft_wrap=True)
    console.print(summary_table(document))
    assert f"over 2 processes; NetSuite: {netsuite['requests']} requests" in console.export_text()
    assert netsuite["requests"] == first.requests.attempts + second.requests.attempts
    assert netsuite["records_sent"] == first.requests.records_sent + second.requests.records_sent
    assert netsuite["peak_concurrency"] == max(
        first.requests.peak_concurrency, second.requests.peak_concurrency
    )
    assert document["checkpoint"]["write_transactions"] > second.checkpoint_transactions
    api_calls = {k: n for k, n in boxes.salesforce.stats.requests.items() if not k.startswith("oauth_")}
    assert document["salesforce"]["requests"] == sum(api_calls.values())
    (accounts,) = [flow for flow in document["flows"] if flow["flow"] == "Account"]
    assert accounts["records_per_s"] > 0
    assert accounts["warnings"]["TEXT_CUT"] > 0  # the data set's long names, cut in either process
