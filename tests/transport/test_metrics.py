from __future__ import annotations

import random
import sys

import orjson
import pytest

from bulk_o2c.transport.metrics import OK, LatencyHistogram, RequestMetrics

# Half a bucket of 2**(1/16): the most a percentile may be off.
BUCKET_ERROR = 2 ** (1 / 32) - 1


def exact_quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(1, -(-q * len(ordered) // 1))  # nearest rank, as the histogram defines it
    return ordered[int(rank) - 1]


@pytest.mark.parametrize("q", [0.0, 0.5, 0.9, 0.95, 0.99, 1.0])
def test_percentiles_are_within_half_a_bucket_of_the_exact_ones(q: float) -> None:
    rng = random.Random(7)
    values = [rng.lognormvariate(0.8, 0.6) for _ in range(5_000)]  # a few seconds, long tail
    histogram = LatencyHistogram()
    for value in values:
        histogram.add(value)
    exact = exact_quantile(values, q)
    assert histogram.quantile(q) == pytest.approx(exact, rel=BUCKET_ERROR)


def test_percentiles_stay_within_the_latencies_seen() -> None:
    histogram = LatencyHistogram()
    for value in (2.25, 2.26, 2.27):
        histogram.add(value)
    assert 2.25 <= histogram.quantile(0.0) <= histogram.quantile(0.5) <= histogram.quantile(1.0) <= 2.27
    assert (histogram.quantile(0.0), histogram.quantile(1.0)) == (2.25, 2.27)  # the extremes, exactly


def test_latencies_beyond_the_buckets_are_clamped_to_the_extremes_seen() -> None:
    histogram = LatencyHistogram()
    histogram.add(0.0)
    histogram.add(1e-7)
    histogram.add(1e6)  # far past the last bucket
    assert histogram.quantile(0.0) == 0.0
    assert histogram.quantile(1.0) == 1e6
    assert histogram.count == 3


def test_an_empty_histogram_answers_zero_and_refuses_nonsense() -> None:
    histogram = LatencyHistogram()
    assert histogram.quantile(0.95) == 0.0
    with pytest.raises(ValueError, match="between 0 and 1"):
        histogram.quantile(1.5)


def test_memory_does_not_grow_with_the_attempts() -> None:
    metrics = RequestMetrics()
    metrics.record(outcome=OK, latency_s=0.5, records=100)
    size = sys.getsizeof(metrics.latency._buckets)
    for i in range(20_000):
        metrics.record(outcome=OK, latency_s=0.001 * (i % 3000 + 1), records=100)
    assert sys.getsizeof(metrics.latency._buckets) == size
    assert metrics.latency.count == metrics.attempts == 20_001


def test_request_metrics_report_p50_p95_over_every_attempt() -> None:
    metrics = RequestMetrics()
    for _ in range(90):
        metrics.record(outcome=OK, latency_s=2.0, records=100)
    for _ in range(10):
        metrics.record(outcome="WS_REQUEST_BLOCKED", latency_s=0.01, records=100)
    assert metrics.latency_p50_s == pytest.approx(2.0, rel=BUCKET_ERROR)
    assert metrics.latency_p95_s == pytest.approx(2.0, rel=BUCKET_ERROR)
    assert metrics.latency.quantile(0.05) == pytest.approx(0.01, rel=BUCKET_ERROR)
    assert metrics.faults == {"WS_REQUEST_BLOCKED": 10}
    assert metrics.latency_mean_s == pytest.approx((90 * 2.0 + 10 * 0.01) / 100)


def test_figures_of_several_processes_merge_as_if_one_had_seen_every_attempt() -> None:
    whole, first, second = RequestMetrics(), RequestMetrics(), RequestMetrics()
    for i in range(300):
        part = first if i < 120 else second
        outcome = "WS_REQUEST_BLOCKED" if i % 7 == 0 else OK
        for metrics in (whole, part):
            metrics.record(outcome=outcome, latency_s=0.01 * (i + 1), records=50)
            metrics.observe_concurrency(i % 5)

    merged = RequestMetrics()
    for part in (first, second):
        merged.merge(orjson.loads(orjson.dumps(part.snapshot())))  # as the checkpoint keeps it

    merged_figures, whole_figures = merged.snapshot(), whole.snapshot()
    assert merged_figures.pop("latency_total_s") == pytest.approx(whole_figures.pop("latency_total_s"))
    assert merged_figures == whole_figures
    assert (merged.latency_p50_s, merged.latency_p95_s) == (whole.latency_p50_s, whole.latency_p95_s)
    assert merged.latency.min_s == whole.latency.min_s


def test_an_empty_snapshot_merges_to_nothing() -> None:
    merged = RequestMetrics()
    merged.merge(RequestMetrics().snapshot())
    assert merged.snapshot() == RequestMetrics().snapshot()
