"""End-to-end NetSuite write throughput against the ceiling ``concurrency x chunk / request time``.

    .venv/bin/python benchmarks/bench_throughput.py             # the whole grid, about 5 minutes
    .venv/bin/python benchmarks/bench_throughput.py --quick     # default latency model only

For each latency model a NetSuite sandbox runs in its own process (``bulk_o2c.bench.sandbox_process``,
so its CPU is never the client's) with a pool of 20 and 100 records per request. For each
concurrency the client loads ``8 x concurrency x 100`` synthetic customers in chunks of 100 through
the run's loader (``bulk-o2c bench``'s ``measure``: a ``FlowLoader`` with a throwaway checkpoint, a
fresh writer, its limiter and HTTP pool), and the figure is the efficiency ``records/s / ceiling``.
Records/s is saved records over the honest wall clock of the whole load, ramp-up and drain
included: eight requests per slot make those a small share without hiding them. The client's own
CPU per record in the same loop is recorded too.

Latency models (seconds per upsertList of N customers = base + N x per customer):
- default: the sandbox's own model, 0.25 + 100 x 0.02 = 2.25 s per request;
- fast:    0.10 + 100 x 0.005 = 0.60 s;
- slow:    0.50 + 100 x 0.04  = 4.50 s.
Target: at least 95 % of the ceiling at concurrency 5, 15 and 20 with the default model.
One line per figure; all of them go to benchmarks/results/throughput.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import anyio
from _machine import machine  # benchmarks/ is on sys.path when a script in it runs

from bulk_o2c.bench.sandbox_process import LatencySpec, NetSuiteSpec, SandboxSpec, sandbox_process
from bulk_o2c.bench.sweep import Setting, measure
from bulk_o2c.commands.sandboxes import describe_netsuite_sandbox, netsuite_sandbox_settings
from bulk_o2c.config import NetSuiteSettings

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "throughput.json"
CONCURRENCIES = (1, 5, 10, 15, 20)
CHUNK = 100
REQUESTS_PER_SLOT = 8
POOL = 20
TARGET = 0.95
TARGET_CONCURRENCIES = (5, 15, 20)
MODELS = {
    "default": LatencySpec(),
    "fast": LatencySpec(base_s=0.10, customer_s=0.005),
    "slow": LatencySpec(base_s=0.50, customer_s=0.04),
}


async def run_model(name: str, latency: LatencySpec) -> list[dict[str, Any]]:
    spec = SandboxSpec(netsuite=NetSuiteSpec(concurrency_limit=POOL, max_records=CHUNK, latency=latency))
    figures = []
    async with sandbox_process(spec) as urls:
        assert urls.netsuite is not None
        account = await describe_netsuite_sandbox(urls.netsuite)
        settings = netsuite_sandbox_settings(NetSuiteSettings(), urls.netsuite, account)
        for concurrency in CONCURRENCIES:
            records = REQUESTS_PER_SLOT * concurrency * CHUNK
            cpu = time.process_time()
            row = await measure(settings, Setting(concurrency, CHUNK), records, f"TP_{name}_", account)
            cpu_us = (time.process_time() - cpu) / records * 1e6
            efficiency = row.efficiency or 0.0
            request_s = account.request_seconds(CHUNK)
            print(
                f"{name:>7} latency ({request_s:.2f} s/request), concurrency {concurrency:>2}: "
                f"{row.records_per_s:7.1f} records/s of {row.ceiling:7.1f} ceiling = {efficiency:6.1%} "
                f"(p50 {row.latency_p50_s * 1000:.0f} ms, p95 {row.latency_p95_s * 1000:.0f} ms, "
                f"client CPU {cpu_us:.0f} us/record{', faults ' + str(row.faults) if row.faults else ''})",
                flush=True,
            )
            figures.append(
                {
                    "model": name,
                    "request_s": round(account.request_seconds(CHUNK), 3),
                    "concurrency": concurrency,
                    "chunk": CHUNK,
                    "records": records,
                    "saved": row.saved,
                    "seconds": round(row.seconds, 3),
                    "records_per_s": round(row.records_per_s, 1),
                    "ceiling_records_per_s": round(row.ceiling or 0.0, 1),
                    "efficiency": round(efficiency, 4),
                    "p50_ms": round(row.latency_p50_s * 1000, 1),
                    "p95_ms": round(row.latency_p95_s * 1000, 1),
                    "peak_concurrency": row.peak_concurrency,
                    "faults": row.faults,
                    "client_cpu_us_per_record": round(cpu_us, 1),
                }
            )
    return figures


async def main(models: dict[str, LatencySpec]) -> int:
    figures = []
    for name, latency in models.items():
        figures += await run_model(name, latency)
    target = {
        f["concurrency"]: f["efficiency"]
        for f in figures
        if f["model"] == "default" and f["concurrency"] in TARGET_CONCURRENCIES
    }
    met = all(e >= TARGET for e in target.values())
    achieved = ", ".join(f"{c}: {e:.1%}" for c, e in target.items())
    print(
        f"target: >= {TARGET:.0%} of the ceiling at concurrency {', '.join(map(str, TARGET_CONCURRENCIES))} "
        f"(default model): {'met' if met else 'MISSED'} ({achieved})"
    )
    document = {
        "benchmark": "end-to-end upsertList throughput against the latency model's ceiling",
        "command": "python benchmarks/bench_throughput.py",
        "machine": machine(),
        "requests_per_slot": REQUESTS_PER_SLOT,
        "sandbox_pool": POOL,
        "target": {"efficiency": TARGET, "concurrencies": TARGET_CONCURRENCIES, "met": met},
        "figures": figures,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(REPO)}")
    return 0 if met else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the default latency model only")
    args = parser.parse_args()
    chosen = {"default": MODELS["default"]} if args.quick else MODELS
    sys.exit(anyio.run(main, chosen))
