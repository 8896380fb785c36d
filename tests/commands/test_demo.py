"""``bulk-o2c demo``: its exit code is its ground-truth check, and a failed check names what differs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from bulk_o2c.commands.demo import DemoOptions, run_demo
from bulk_o2c.commands.exit_codes import EXIT_FAILURE, EXIT_OK
from bulk_o2c.commands.ground_truth import ExpectedOutcome, expected_outcome
from bulk_o2c.commands.invocation import use_config
from bulk_o2c.config import load_settings


async def _demo(tmp_path: Path) -> tuple[int, str]:
    console = Console(record=True, width=200)
    options = DemoOptions(
        accounts=60, orders=80, time_scale=0.0, page_latency_s=0.0, state_dir=tmp_path / "demo"
    )
    base = load_settings(salesforce={"poll_initial_s": 0.01, "poll_max_s": 0.05})
    try:
        code = await run_demo(base, console, options)
    finally:
        use_config(None)  # the demo names its own settings file in the commands it prints
    return code, console.export_text()


async def test_the_demo_exits_0_when_its_check_passes_though_its_bad_records_are_in_the_dlq(
    tmp_path: Path,
) -> None:
    code, output = await _demo(tmp_path)

    assert "records in the DLQ" in output  # the data set's bad records, filed as they should be
    assert "Check passed" in output
    assert code == EXIT_OK


async def test_the_demo_fails_naming_what_differs_from_the_ground_truth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def one_customer_too_many(*args: object, **kwargs: object) -> ExpectedOutcome:
        want = expected_outcome(*args, **kwargs)  # type: ignore[arg-type]
        return replace(want, customers=want.customers | {"SF-ACCOUNT-NEVER-THERE"})

    monkeypatch.setattr("bulk_o2c.commands.demo.expected_outcome", one_customer_too_many)

    code, output = await _demo(tmp_path)

    assert code == EXIT_FAILURE
    assert "Check FAILED" in output
    assert "1 customers missing from NetSuite: SF-ACCOUNT-NEVER-THERE" in output
