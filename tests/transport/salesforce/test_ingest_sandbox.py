"""upsert_rows end to end against the Salesforce sandbox: the NetSuite write-back on Account.

The sandbox is an independent server (its own CSV parser, shuffled results, injected locks), so
these flows check the client against something other than its own idea of the wire.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from pydantic import SecretStr

from bulk_o2c.config import SalesforceSettings
from bulk_o2c.protocol.salesforce.ingest_results import Failed, Succeeded
from bulk_o2c.protocol.salesforce.ingest_upload import Row
from bulk_o2c.sandbox.salesforce.config import SalesforceSandboxConfig
from bulk_o2c.sandbox.salesforce.dataset import DatasetSpec
from bulk_o2c.sandbox.salesforce.faults import Fault
from bulk_o2c.sandbox.salesforce.ingest_jobs import LOCK_FAILURE
from bulk_o2c.sandbox.salesforce.server import SalesforceSandbox
from bulk_o2c.transport.retry import RetryPolicy
from bulk_o2c.transport.salesforce.auth import SalesforceAuth
from bulk_o2c.transport.salesforce.http import SalesforceHttp, client_session
from bulk_o2c.transport.salesforce.ingest import IngestReport, JobFailedError, upsert_rows
from bulk_o2c.transport.salesforce.polling import Polling

N_ACCOUNTS = 300
FIELDS = ("Id", "NetSuite_Customer_ID__c", "NetSuite_Sync_Status__c")


@dataclass
class Org:
    sandbox: SalesforceSandbox
    http: SalesforceHttp

    @property
    def account_ids(self) -> list[str]:
        return [self.sandbox.dataset.record_id("Account", slot) for slot in range(N_ACCOUNTS)]


@pytest.fixture
async def org() -> AsyncIterator[Org]:
    config = SalesforceSandboxConfig(
        dataset=DatasetSpec(n_accounts=N_ACCOUNTS, n_orders=0), page_latency_s=0.0, job_polls_per_state=1
    )
    async with SalesforceSandbox(config) as sandbox, client_session() as session:
        retry = RetryPolicy(max_attempts=4, base_delay_s=0.0, max_delay_s=0.0)
        settings = SalesforceSettings(
            login_url=sandbox.base_url,
            auth_flow="client_credentials",
            client_id=config.client_id,
            client_secret=SecretStr(config.client_secret),
        )
        auth = SalesforceAuth(session, settings, retry=retry)
        yield Org(sandbox, SalesforceHttp(session, auth.tokens, api_version="62.0", retry=retry))


def write_back(ids: list[str]) -> Iterator[Row]:
    for number, record_id in enumerate(ids):
        yield {
            "Id": record_id,
            "NetSuite_Customer_ID__c": str(50_000 + number),
            "NetSuite_Sync_Status__c": "Synced",
        }


async def upsert(org: Org, rows: Iterator[Row], **options: object) -> IngestReport:
    settings: dict[str, object] = {
        "object_name": "Account",
        "external_id_field": "Id",
        "fields": FIELDS,
        "polling": Polling(0.001, 0.001, 30.0),
        **options,
    }
    return await upsert_rows(org.http, rows=rows, **settings)  # type: ignore[arg-type]


async def test_netsuite_ids_are_written_back_to_every_account(org: Org) -> None:
    ids = org.account_ids

    report = await upsert(org, write_back(ids))

    assert (report.updated, report.created, report.failed, report.unprocessed) == (N_ACCOUNTS, 0, 0, 0)
    assert set(report.outcomes) == set(ids)
    assert all(isinstance(o, Succeeded) and o.sf_id == key for key, o in report.outcomes.items())
    written = org.sandbox.written_values("Account")
    assert {key: dict(values) for key, values in written.items()} == {
        key: {"NetSuite_Customer_ID__c": str(50_000 + n), "NetSuite_Sync_Status__c": "Synced"}
        for n, key in enumerate(ids)
    }
    assert org.sandbox.stats.ingest_jobs_created == 1
    assert org.sandbox.stats.jobs_deleted == 1


async def test_null_clears_and_empty_leaves_the_field_as_it_was(org: Org) -> None:
    first, second = org.account_ids[:2]
    await upsert(org, write_back([first, second]))

    report = await upsert(
        org,
        iter([
            {"Id": first, "NetSuite_Customer_ID__c": "", "NetSuite_Sync_Status__c": None},
            {"Id": second, "NetSuite_Sync_Status__c": "Resynced"},
        ]),
    )  # fmt: skip

    assert report.updated == 2
    written = org.sandbox.written_values("Account")
    assert dict(written[first]) == {"NetSuite_Customer_ID__c": "50000", "NetSuite_Sync_Status__c": None}
    assert dict(written[second]) == {
        "NetSuite_Customer_ID__c": "50001",
        "NetSuite_Sync_Status__c": "Resynced",
    }


async def test_locked_rows_are_retried_in_a_new_job_and_end_written(org: Org) -> None:
    ids = org.account_ids
    locked = ids[10:25]
    org.sandbox.faults.lock_records(locked, times=1)

    report = await upsert(org, write_back(ids))

    assert report.updated == N_ACCOUNTS
    assert report.lock_retried_rows == len(locked)
    assert org.sandbox.stats.faults_served[LOCK_FAILURE] == len(locked)
    assert org.sandbox.stats.ingest_jobs_created == 2
    assert org.sandbox.stats.jobs_deleted == 2
    assert set(org.sandbox.written_values("Account")) == set(ids)


async def test_a_row_that_stays_locked_ends_failed_after_the_bounded_retries(org: Org) -> None:
    stuck = org.account_ids[0]
    org.sandbox.faults.lock_records([stuck], times=10)

    report = await upsert(org, write_back(org.account_ids[:5]), max_lock_retries=2)

    outcome = report.outcomes[stuck]
    assert isinstance(outcome, Failed)
    assert outcome.error.code == "UNABLE_TO_LOCK_ROW"
    assert outcome.sf_id == stuck
    assert report.updated == 4
    assert org.sandbox.stats.ingest_jobs_created == 3
    assert stuck not in org.sandbox.written_values("Account")


async def test_the_byte_budget_splits_the_write_back_into_several_jobs(org: Org) -> None:
    report = await upsert(org, write_back(org.account_ids), max_upload_bytes=4_000)

    assert report.updated == N_ACCOUNTS
    assert len(report.job_ids) == org.sandbox.stats.ingest_jobs_created > 1
    assert len(org.sandbox.written_values("Account")) == N_ACCOUNTS


async def test_per_row_errors_are_parsed_into_code_message_and_fields(org: Org) -> None:
    unknown = "001" + "9" * 12 + "AAA"
    rows = [
        {"Id": org.account_ids[0], "NetSuite_Customer_ID__c": "1"},
        {"Id": unknown, "NetSuite_Customer_ID__c": "2"},
    ]
    report = await upsert(org, iter(rows))
    report_name = await upsert(
        org, iter([{"Id": org.account_ids[1], "Name": "Renamed"}]), fields=("Id", "Name")
    )

    assert isinstance(report.outcomes[org.account_ids[0]], Succeeded)
    cross = report.outcomes[unknown]
    assert isinstance(cross, Failed)
    assert cross.error.code == "INVALID_CROSS_REFERENCE_KEY"
    assert cross.error.message == "invalid cross reference id"
    refused = report_name.outcomes[org.account_ids[1]]
    assert isinstance(refused, Failed)
    assert refused.error.code == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert refused.error.fields == ("Name",)


async def test_a_job_that_fails_as_a_whole_raises_salesforce_message_and_gives_no_row_an_outcome(
    org: Org,
) -> None:
    rows = iter([{"Id": key, "Bogus__c": "x"} for key in org.account_ids[:3]])

    with pytest.raises(JobFailedError, match="InvalidBatch : Field name not found : Bogus__c"):
        await upsert(org, rows, fields=("Id", "Bogus__c"))

    assert org.sandbox.written_values("Account") == {}
    assert org.sandbox.stats.jobs_deleted == 1  # read and cleaned up like any finished job


async def test_a_connection_reset_in_a_results_download_is_survived(org: Org) -> None:
    org.sandbox.faults.inject(Fault.RESET_MID_BODY, 1, "ingest_successful_results")

    report = await upsert(org, write_back(org.account_ids))

    assert org.sandbox.stats.faults_served[Fault.RESET_MID_BODY] == 1
    assert report.updated == N_ACCOUNTS


async def test_an_upload_complete_whose_answer_was_lost_is_not_sent_twice_into_a_failure(org: Org) -> None:
    # The first PATCH closes the upload but its answer never arrives; the retry meets a job that is
    # already past Open (INVALIDJOBSTATE) and must read the job instead of failing the write-back.
    org.sandbox.faults.inject(Fault.ANSWER_LOST, 1, "ingest_patch")

    report = await upsert(org, write_back(org.account_ids))

    assert org.sandbox.stats.faults_served[Fault.ANSWER_LOST] == 1
    assert org.sandbox.stats.requests["ingest_patch"] == 2
    assert report.updated == N_ACCOUNTS
    assert org.sandbox.stats.ingest_jobs_created == 1
