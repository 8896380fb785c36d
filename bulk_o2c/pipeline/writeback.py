"""Write NetSuite internal ids back to Salesforce with Bulk 2.0 ingest jobs, resumably.

Rules this stage owns:
- A batch is assigned a local write-back job id (committed) before anything is uploaded; on
  resume, batches whose results never arrived are written again (setting the same id twice is
  harmless). Salesforce's own job ids stay inside the ingest transport.
- Only records whose Salesforce row does not already hold the id are written (the load decided
  ``needs_writeback``); an update that changes nothing would still move SystemModstamp.
- Each row sets the id field and, when configured, a sync status; nothing else is touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from bulk_o2c.config import SalesforceSettings
from bulk_o2c.pipeline.extract import polling_for
from bulk_o2c.pipeline.metrics import FlowCounters
from bulk_o2c.protocol.salesforce.ingest_results import Failed, Succeeded
from bulk_o2c.store.settle import Failure
from bulk_o2c.store.store import CheckpointStore
from bulk_o2c.store.writeback import WritebackItem
from bulk_o2c.transport.salesforce.http import SalesforceHttp
from bulk_o2c.transport.salesforce.ingest import upsert_rows

SYNCED = "Synced"
BATCH_ROWS = 10_000  # one Salesforce internal batch: the unit its daily batch limit counts


async def write_back_flow(
    store: CheckpointStore,
    http: SalesforceHttp,
    sf_settings: SalesforceSettings,
    run_id: str,
    flow: str,
    written: tuple[str, str | None],
    counters: FlowCounters,
) -> None:
    """Write the pending ids of ``flow``: ``written`` is (id field, sync status field or None)."""
    id_field, status_field = written
    fields = ["Id", id_field] if status_field is None else ["Id", id_field, status_field]

    async def send(job_id: str, items: Sequence[WritebackItem]) -> None:
        rows = [_row(item, id_field, status_field) for item in items]
        report = await upsert_rows(
            http,
            object_name=flow,
            external_id_field="Id",
            fields=fields,
            rows=rows,
            polling=polling_for(sf_settings),
        )
        failures = []
        for item in items:
            outcome = report.outcomes.get(item.sf_id)
            if isinstance(outcome, Succeeded):
                continue
            if isinstance(outcome, Failed):
                failures.append(Failure(item.sf_id, outcome.error.code, outcome.error.message))
            else:
                reason = "no result" if outcome is None else outcome.reason
                failures.append(Failure(item.sf_id, "WRITEBACK_UNPROCESSED", reason))
        await store.writeback.complete(run_id, job_id, failures)
        counters.written_back += len(items) - len(failures)

    for job in await store.writeback.open_jobs(run_id):
        if job.flow == flow:
            await send(job.job_id, job.items)
    while items := await store.writeback.pending(run_id, flow, limit=BATCH_ROWS):
        job_id = f"wb-{uuid.uuid4().hex[:12]}"
        await store.writeback.assign(run_id, flow, job_id, [i.sf_id for i in items])
        await send(job_id, items)


def _row(item: WritebackItem, id_field: str, status_field: str | None) -> dict[str, str | None]:
    row: dict[str, str | None] = {"Id": item.sf_id, id_field: item.internal_id}
    if status_field is not None:
        row[status_field] = SYNCED
    return row
