"""A run's figures are the sum of what its processes recorded."""

from __future__ import annotations

from typing import Any

import pytest

from bulk_o2c.pipeline.figures import RunFigures
from bulk_o2c.store.processes import ProcessRecord
from bulk_o2c.transport.metrics import OK, RequestMetrics


def _process(number: int, seconds: float, attempts: int, done: int, load_s: float) -> ProcessRecord:
    netsuite = RequestMetrics()
    for _ in range(attempts):
        netsuite.record(outcome=OK, latency_s=0.2, records=100)
    netsuite.observe_concurrency(number + 2)
    figures: dict[str, Any] = {
        "netsuite": netsuite.snapshot(),
        "salesforce_requests": 10 * number,
        "flows": {"Account": {"done": done, "load_seconds": load_s}},
        "checkpoint_write_s": 0.5,
        "checkpoint_transactions": 4,
    }
    return ProcessRecord(number, "t0", "t1", seconds, figures)


def test_counts_and_seconds_add_up_and_peaks_take_the_largest() -> None:
    # The third process was killed before it recorded anything but its start.
    killed_early = ProcessRecord(3, "t0", "t0", 0.0, {})
    figures = RunFigures.of([_process(1, 30.0, 5, 400, 20.0), _process(2, 10.0, 2, 100, 5.0), killed_early])

    assert (figures.processes, figures.seconds) == (3, 40.0)
    assert (figures.netsuite.attempts, figures.netsuite.records_sent) == (7, 700)
    assert figures.netsuite.peak_concurrency == 4
    assert figures.netsuite.latency_mean_s == pytest.approx(0.2)
    assert figures.salesforce_requests == 30
    assert figures.flows["Account"].records_per_s == 20.0  # 500 records in 25 s of loading
    assert (figures.checkpoint_write_s, figures.checkpoint_transactions) == (1.0, 8)


def test_a_run_without_recorded_processes_has_zero_figures() -> None:
    figures = RunFigures.of([])
    assert (figures.processes, figures.seconds, figures.netsuite.attempts) == (0, 0.0, 0)
