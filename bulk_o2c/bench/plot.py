"""A sweep as a PNG: records/s and p95 latency against concurrency, one line per chunk size.

matplotlib is an optional extra (``pip install 'bulk-o2c[plot]'``); without it ``write_plot``
raises a ``ConfigError`` that says so, and nothing else in bulk-o2c needs it.
"""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

from bulk_o2c.bench.sweep import BenchResult, BenchRow
from bulk_o2c.errors import ConfigError

MISSING = "the PNG plot needs matplotlib: pip install 'bulk-o2c[plot]' (the table, --json and --csv do not)"


def ensure_plot_available() -> None:
    """Raise the ``ConfigError`` ``write_plot`` would, without drawing anything."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ConfigError(MISSING) from None


def write_plot(result: BenchResult, path: Path) -> None:
    ensure_plot_available()
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window or need a display
    import matplotlib.pyplot as plt

    figure, (throughput, latency) = plt.subplots(1, 2, figsize=(11, 4.5))
    by_chunk = sorted(result.rows, key=lambda r: (r.setting.chunk_size, r.setting.concurrency))
    for chunk, group in groupby(by_chunk, key=lambda r: r.setting.chunk_size):
        rows: list[BenchRow] = list(group)
        x = [r.setting.concurrency for r in rows]
        (line,) = throughput.plot(x, [r.records_per_s for r in rows], marker="o", label=f"chunk {chunk}")
        ceilings = [r.ceiling if r.efficiency is not None else None for r in rows]
        if all(c is not None for c in ceilings):
            throughput.plot(x, ceilings, linestyle="--", color=line.get_color(), alpha=0.5)
        latency.plot(x, [r.latency_p95_s * 1000 for r in rows], marker="o", label=f"chunk {chunk}")
    chosen = result.recommendation.setting
    for row in result.rows:
        if row.setting == chosen:
            throughput.scatter(
                [row.setting.concurrency],
                [row.records_per_s],
                s=250,
                facecolors="none",
                edgecolors="black",
                label="recommended",
            )
    throughput.set(xlabel="concurrency", ylabel="records/s", title="throughput (dashed: ceiling)")
    latency.set(xlabel="concurrency", ylabel="ms", title="p95 request latency")
    for axes in (throughput, latency):
        axes.grid(alpha=0.3)
        axes.legend()
    figure.suptitle(result.target, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
