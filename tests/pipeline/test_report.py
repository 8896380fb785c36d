from __future__ import annotations

import anyio
from rich.console import Console

from bulk_o2c.commands.demo import Sandboxes
from bulk_o2c.config import Settings
from bulk_o2c.pipeline.metrics import RunMetrics
from bulk_o2c.pipeline.report import report_document
from bulk_o2c.pipeline.run import run_pipeline
from bulk_o2c.report_table import summary_table
from bulk_o2c.store.store import open_store


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
