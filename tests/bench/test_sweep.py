from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bulk_o2c.bench.sweep import BenchRow, Setting, is_concurrency_fault, measure, recommend, sweep
from bulk_o2c.commands.sandboxes import describe_netsuite_sandbox, netsuite_sandbox_settings
from bulk_o2c.config import NetSuiteSettings
from bulk_o2c.sandbox.netsuite.config import NetSuiteSandboxConfig
from bulk_o2c.sandbox.netsuite.server import NetSuiteSandbox


def row(
    concurrency: int,
    chunk: int,
    records_per_s: float,
    *,
    failed: int = 0,
    faults: dict[str, int] | None = None,
    ceiling: float | None = None,
) -> BenchRow:
    return BenchRow(
        setting=Setting(concurrency, chunk),
        records=1000,
        saved=1000 - failed,
        failed=failed,
        seconds=(1000 - failed) / records_per_s,
        requests=10,
        latency_p50_s=1.0,
        latency_p95_s=1.2,
        peak_concurrency=concurrency,
        faults=faults or {},
        ceiling=ceiling,
    )


def test_the_lowest_concurrency_near_the_best_is_recommended() -> None:
    # Throughput flattens past 5: 10 gains 2 %, not worth five more slots of the shared pool.
    rows = [row(1, 100, 200), row(5, 100, 900), row(10, 100, 918), row(5, 50, 700)]
    assert recommend(rows).setting == Setting(5, 100)


def test_concurrency_faults_and_failed_records_rule_a_setting_out() -> None:
    rows = [
        row(5, 100, 900),
        row(10, 100, 1500, faults={"WS_REQUEST_BLOCKED": 3}),
        row(8, 100, 1400, faults={"HTTP_429": 1}),
        row(7, 100, 1300, failed=1),
        row(6, 100, 1000, faults={"UNEXPECTED_ERROR": 2}),  # transient, not the pool: still a candidate
    ]
    recommendation = recommend(rows)
    assert recommendation.setting == Setting(6, 100)
    assert "no concurrency fault" in recommendation.reason


def test_settings_far_under_their_ceiling_say_nothing_about_the_account() -> None:
    rows = [row(5, 100, 900, ceiling=1000), row(10, 100, 1000, ceiling=2000)]  # 90 % and 50 %
    assert recommend(rows).setting == Setting(5, 100)


def test_no_recommendation_says_why() -> None:
    assert recommend([]).setting is None
    faulty = recommend([row(10, 100, 900, faults={"WS_REQUEST_BLOCKED": 1})])
    assert faulty.setting is None
    assert "lower the concurrency" in faulty.reason
    slow = recommend([row(5, 100, 100, ceiling=1000)])
    assert slow.setting is None
    assert "bottleneck" in slow.reason


def test_concurrency_faults_are_recognised_by_code_or_fault_name() -> None:
    assert is_concurrency_fault("WS_REQUEST_BLOCKED")
    assert is_concurrency_fault("exceededConcurrentRequestLimitFault")
    assert is_concurrency_fault("HTTP_429")
    assert not is_concurrency_fault("UNEXPECTED_ERROR")
    assert not is_concurrency_fault("TIMEOUT")


@pytest.fixture
async def sandbox() -> AsyncIterator[NetSuiteSandbox]:
    config = NetSuiteSandboxConfig(concurrency_limit=3, max_records=50, time_scale=0.002)
    async with NetSuiteSandbox(config) as running:
        yield running


async def test_each_setting_writes_its_own_records_and_measures_against_the_ceiling(
    sandbox: NetSuiteSandbox,
) -> None:
    account = await describe_netsuite_sandbox(sandbox.base_url)
    settings = netsuite_sandbox_settings(NetSuiteSettings(), sandbox.base_url, account)
    seen: list[BenchRow] = []
    rows = await sweep(
        settings, [Setting(1, 20), Setting(2, 40)], lambda s: 3 * s.chunk_size, "T_", account, seen.append
    )
    assert seen == rows
    assert [(r.setting, r.records, r.saved, r.requests, r.faults) for r in rows] == [
        (Setting(1, 20), 60, 60, 3, {}),
        (Setting(2, 40), 120, 120, 3, {}),
    ]
    assert {r.peak_concurrency for r in rows} == {1, 2}
    assert rows[1].ceiling == pytest.approx(account.ceiling(2, 40))
    assert rows[0].latency_p50_s <= rows[0].latency_p95_s
    ids = {r.external_id for r in sandbox.records("customer")}
    assert len(ids) == 180  # no setting updated another's records
    assert all(i.startswith(("T_1x20_", "T_2x40_")) for i in ids)


async def test_the_ceiling_counts_only_the_pool_and_record_cap_the_account_allows(
    sandbox: NetSuiteSandbox,
) -> None:
    account = await describe_netsuite_sandbox(sandbox.base_url)
    settings = netsuite_sandbox_settings(NetSuiteSettings(), sandbox.base_url, account)
    over = await measure(settings, Setting(5, 100), 400, "T_", account)
    # Pool 3 and 50 records per request, whatever the setting asks for.
    assert over.ceiling == pytest.approx(account.ceiling(3, 50))
    assert over.saved == 400
    assert over.faults["MAX_RCRDS_EXCEEDED"] >= 1  # the writer learnt the cap, then split
