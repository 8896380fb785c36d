"""``extract_to_staging`` against an in-process Salesforce sandbox: every row staged exactly once, also
across a cancellation and a SIGKILL in the middle of the job, with gzip on and off."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream

from bulk_o2c.commands.extract import extract_to_staging
from bulk_o2c.commands.sandboxes import new_jwt_key_pair, salesforce_sandbox_settings, write_private_key
from bulk_o2c.config import RunSettings, SalesforceSettings, Settings
from bulk_o2c.errors import ConfigError
from bulk_o2c.pipeline.metrics import RunMetrics
from bulk_o2c.sandbox.salesforce import DatasetSpec, SalesforceSandbox, SalesforceSandboxConfig

ACCOUNTS = 3_000
PAGE = 250  # twelve pages
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    keys = new_jwt_key_pair()
    directory = tmp_path_factory.mktemp("keys")
    return keys.public_pem, write_private_key(directory, keys.private_pem)


@pytest.fixture
async def sandbox(keys_dir: tuple[str, Path]) -> AsyncIterator[SalesforceSandbox]:
    config = SalesforceSandboxConfig(
        dataset=DatasetSpec(n_accounts=ACCOUNTS, n_orders=0),
        jwt_public_key_pem=keys_dir[0],
        page_latency_s=0.05,
    )
    async with SalesforceSandbox(config) as running:
        yield running


@pytest.fixture
def settings(sandbox: SalesforceSandbox, keys_dir: tuple[str, Path], tmp_path: Path) -> Settings:
    base = Settings(
        salesforce=SalesforceSettings(page_size=PAGE, poll_initial_s=0.02, poll_max_s=0.05),
        run=RunSettings(state_dir=tmp_path / "state"),
    )
    return salesforce_sandbox_settings(base, sandbox.base_url, keys_dir[1])


def staged_ids(settings: Settings) -> list[str]:
    """The staged Account ids in staging order; a page staged twice would leave a gap in ``seq``
    (the primary key keeps one row per id, the sequence keeps counting)."""
    with sqlite3.connect(settings.run.state_dir / "checkpoint.sqlite") as db:
        rows = db.execute("SELECT sf_id, seq FROM staged WHERE flow = 'Account' ORDER BY seq").fetchall()
    assert [seq for _, seq in rows] == list(range(len(rows)))
    return [sf_id for sf_id, _ in rows]


def every_id(sandbox: SalesforceSandbox) -> set[str]:
    return {sandbox.dataset.record_id("Account", slot) for slot in range(ACCOUNTS)}


@pytest.mark.parametrize("accept_gzip", [True, False])
async def test_stages_every_account_once(
    sandbox: SalesforceSandbox, settings: Settings, accept_gzip: bool
) -> None:
    report = await extract_to_staging(settings, "Account", accept_gzip=accept_gzip)

    assert (report.rows, report.rows_read, report.pages, report.done) == (ACCOUNTS, ACCOUNTS, 12, True)
    ids = staged_ids(settings)
    assert len(ids) == ACCOUNTS
    assert set(ids) == every_id(sandbox)
    assert report.checkpoint == settings.run.state_dir / "checkpoint.sqlite"
    assert report.peak_rss_mb > 0
    assert sandbox.stats.query_jobs_created == sandbox.stats.jobs_deleted == 1


async def test_a_finished_extraction_is_reported_not_read_again(
    sandbox: SalesforceSandbox, settings: Settings
) -> None:
    first = await extract_to_staging(settings)
    again = await extract_to_staging(settings)
    assert again.run_id == first.run_id  # the run stays open for `bulk-o2c run` to go on with
    assert (again.rows, again.rows_read, again.done) == (ACCOUNTS, 0, True)
    assert sandbox.stats.query_jobs_created == 1


def cancel_after(rows: int, scope: anyio.CancelScope) -> Callable[[RunMetrics], object]:
    async def watch(metrics: RunMetrics) -> None:
        # The counters are plain integers with no event to wait on: look at them as progress.py does.
        while metrics.flow("Account").extracted < rows:  # noqa: ASYNC110
            await anyio.sleep(0.001)
        scope.cancel()

    return watch


async def test_cancelled_mid_job_it_continues_from_the_saved_locator(
    sandbox: SalesforceSandbox, settings: Settings
) -> None:
    with anyio.CancelScope() as scope:
        await extract_to_staging(settings, watch=cancel_after(3 * PAGE, scope))  # type: ignore[arg-type]
    assert scope.cancelled_caught
    before = len(staged_ids(settings))
    assert 3 * PAGE <= before < ACCOUNTS

    report = await extract_to_staging(settings)

    assert (report.rows, report.rows_read, report.done) == (ACCOUNTS, ACCOUNTS - before, True)
    ids = staged_ids(settings)
    assert len(ids) == len(set(ids)) == ACCOUNTS
    assert set(ids) == every_id(sandbox)
    assert sandbox.stats.query_jobs_created == 1  # the same job, read on from the locator


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import anyio

    from bulk_o2c.commands.extract import extract_to_staging
    from bulk_o2c.commands.sandboxes import salesforce_sandbox_settings
    from bulk_o2c.config import RunSettings, SalesforceSettings, Settings

    base_url, key, state_dir, page = sys.argv[1:5]
    run = RunSettings(state_dir=Path(state_dir))
    salesforce = SalesforceSettings(page_size=int(page), poll_initial_s=0.02, poll_max_s=0.02)
    base = Settings(salesforce=salesforce, run=run)
    settings = salesforce_sandbox_settings(base, base_url, Path(key))

    async def tell(metrics):
        seen = -1
        while True:
            if metrics.flow("Account").extracted != seen:
                seen = metrics.flow("Account").extracted
                print(seen, flush=True)
            await anyio.sleep(0.001)

    anyio.run(lambda: extract_to_staging(settings, watch=tell))
    """
)


async def test_killed_mid_job_it_continues_from_the_saved_locator(
    sandbox: SalesforceSandbox, settings: Settings, keys_dir: tuple[str, Path]
) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = [sandbox.base_url, str(keys_dir[1]), str(settings.run.state_dir), str(PAGE)]
    async with await anyio.open_process(
        [sys.executable, "-c", CHILD, *args], stdout=subprocess.PIPE, env=env
    ) as child:
        assert child.stdout is not None
        lines = BufferedByteReceiveStream(child.stdout)
        with anyio.fail_after(30):
            while int(await lines.receive_until(b"\n", 64)) < 2 * PAGE:
                pass
        child.send_signal(signal.SIGKILL)
        await child.wait()
    before = len(staged_ids(settings))
    assert 2 * PAGE <= before < ACCOUNTS

    report = await extract_to_staging(settings)

    assert (report.rows, report.rows_read, report.done) == (ACCOUNTS, ACCOUNTS - before, True)
    ids = staged_ids(settings)
    assert len(ids) == len(set(ids)) == ACCOUNTS
    assert set(ids) == every_id(sandbox)
    assert sandbox.stats.query_jobs_created == 1


async def test_an_unknown_flow_is_refused(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="no flow 'Contact'; the flows are Account, Order, OrderItem"):
        await extract_to_staging(settings, "Contact")
