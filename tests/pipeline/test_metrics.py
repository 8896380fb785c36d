from __future__ import annotations

import pytest

from bulk_o2c.pipeline.metrics import RATE_WINDOW_S, FlowCounters, RunMetrics


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_follows_the_recent_pace_not_the_average() -> None:
    counters = FlowCounters("Account", expected=10_000)
    now = 0.0
    for _ in range(60):  # a slow minute: 10 records/s
        counters.loaded += 10
        counters.sample(now)
        now += 1.0
    for _ in range(int(RATE_WINDOW_S) + 1):  # then 100 records/s
        counters.loaded += 100
        counters.sample(now)
        now += 1.0
    assert counters.rate() == pytest.approx(100.0)
    assert counters.eta_s() == pytest.approx((10_000 - counters.done) / 100.0)


def test_no_rate_or_eta_before_two_samples() -> None:
    counters = FlowCounters("Order")
    counters.sample(0.0)
    assert counters.rate() == 0.0
    assert counters.eta_s() is None


def test_done_counts_every_settled_state() -> None:
    counters = FlowCounters("Order", loaded=5, failed=2, skipped=3, parked=1, written_back=5)
    assert counters.done == 11


def test_a_flow_is_active_while_extracting_or_loading() -> None:
    clock = Clock()
    metrics = RunMetrics("r", clock=clock)
    items = metrics.flow("OrderItem")
    assert not items.active
    items.started_at = clock()
    assert items.active  # extracting: the row count is not known yet
    items.expected = 300
    assert not items.active  # extracted; its lines load with their orders
    orders = metrics.flow("Order")
    orders.started_at, orders.expected, orders.load_started_at = clock(), 100, clock()
    assert orders.active
    clock.now += 12.5
    orders.finished_at = clock()
    assert not orders.active
    assert orders.load_seconds(clock()) == pytest.approx(12.5)
