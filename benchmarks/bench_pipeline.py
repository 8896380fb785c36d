"""Whole pipeline runs: peak RSS by run size (2d) and checkpoint writes as a share of run time (2e).

    .venv/bin/python benchmarks/bench_pipeline.py                        # the plan below, about 10 minutes
    .venv/bin/python benchmarks/bench_pipeline.py --accounts 10000 --time-scale 0
    .venv/bin/python benchmarks/bench_pipeline.py --accounts 20000 --orders 100000 --time-scale 0

For each run both sandboxes run in one child process (``bulk_o2c.bench.sandbox_process``): a
Salesforce org of N Accounts (no Orders; 2 % of them deliberately bad, so the DLQ is exercised)
answering pages at once, and a NetSuite account of the default pool (5) with its latency model at
the given time scale. The run itself is ``run_pipeline`` (extract into the checkpoint, map, load
the customers, write the NetSuite ids back to Salesforce) with default settings (concurrency 5,
chunk 100), in a fresh process of its own, so its ``ru_maxrss`` is the client's peak RSS alone,
never the sandboxes', and no earlier run's heap is counted.

The plan: 10k, 100k and 1M Accounts at time scale 0 (NetSuite answers at once, so the client sets
the pace: the worst case for memory and for the checkpoint's share), then 20k Accounts at time
scale 1, the default latency model (2.25 s per 100 customers): the checkpoint's share of a run
that NetSuite paces, as real ones are.

Figures, one line each: peak RSS (MB), wall seconds and records/s, and the checkpoint share:
seconds inside the store's write transactions (``CheckpointStore.write_seconds``: from BEGIN to
the end of COMMIT, lock waits excluded; transactions never overlap) over the run's wall time.
Targets: peak RSS of a 1M run at most 300 MB and at most 20 % above the 100k run's; checkpoint
writes at most 5 % of run time (judged on the run NetSuite paces; the client-bound share is
reported beside it). All figures go to benchmarks/results/pipeline.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from _machine import machine  # benchmarks/ is on sys.path when a script in it runs

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "pipeline.json"
PLAN = ((10_000, 0.0), (100_000, 0.0), (1_000_000, 0.0), (20_000, 1.0))
RSS_LIMIT_MB = 300.0
RSS_GROWTH_LIMIT = 0.20
CHECKPOINT_SHARE_LIMIT = 0.05
RUN_TIMEOUT_S = 3600.0


# The run's own process: reads its job as JSON on stdin (the private key never goes on argv),
# prints its figures as one JSON line.


async def child_run(job: dict[str, Any]) -> dict[str, Any]:
    from pydantic import SecretStr

    from bulk_o2c.commands.sandboxes import describe_netsuite_sandbox, netsuite_sandbox_settings
    from bulk_o2c.config import Settings
    from bulk_o2c.pipeline.run import run_pipeline
    from bulk_o2c.sandbox.salesforce.config import SalesforceSandboxConfig

    org = SalesforceSandboxConfig()
    base = Settings()
    account = await describe_netsuite_sandbox(job["netsuite"])
    settings = base.model_copy(
        update={
            "salesforce": base.salesforce.model_copy(
                update={
                    "login_url": job["salesforce"],
                    "auth_flow": "jwt",
                    "client_id": org.client_id,
                    "username": org.username,
                    "private_key": SecretStr(job["private_key"]),
                }
            ),
            "netsuite": netsuite_sandbox_settings(base.netsuite, job["netsuite"], account),
            "run": base.run.model_copy(update={"state_dir": Path(job["state_dir"])}),
        }
    )
    rss_before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu = time.process_time()
    started = time.perf_counter()
    result = await run_pipeline(settings)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    flows = {
        name: {"extracted": c.extracted, "loaded": c.loaded, "failed": c.failed}
        for name, c in result.metrics.flows.items()
    }
    return {
        "completed": result.completed,
        "wall_s": round(wall, 2),
        "client_cpu_s": round(cpu, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_run_mb": round(rss_before_mb, 1),
        "store_write_s": round(result.checkpoint_write_s, 2),
        "store_write_transactions": result.checkpoint_transactions,
        "netsuite_requests": result.requests.attempts,
        "flows": flows,
    }


def child_main() -> None:
    job = json.loads(sys.stdin.readline())
    print(json.dumps(anyio.run(child_run, job)), flush=True)


# The benchmark's process: sandboxes in one child, each run in another.


async def measure(accounts: int, time_scale: float, orders: int = 0) -> dict[str, Any]:
    from bulk_o2c.bench.sandbox_process import NetSuiteSpec, SalesforceSpec, SandboxSpec, sandbox_process
    from bulk_o2c.commands.sandboxes import new_jwt_key_pair

    keys = new_jwt_key_pair()
    public, private = keys.public_pem, keys.private_pem
    spec = SandboxSpec(
        netsuite=NetSuiteSpec(time_scale=time_scale),
        salesforce=SalesforceSpec(jwt_public_key_pem=public, accounts=accounts, orders=orders),
    )
    state = Path(tempfile.mkdtemp(prefix="bulk-o2c-bench-"))
    try:
        async with sandbox_process(spec) as urls:
            job = {
                "netsuite": urls.netsuite,
                "salesforce": urls.salesforce,
                "private_key": private,
                "state_dir": str(state),
            }
            with anyio.fail_after(RUN_TIMEOUT_S):
                done = await anyio.run_process(
                    [sys.executable, __file__, "--child"],
                    input=(json.dumps(job) + "\n").encode(),
                    stderr=None,
                )
        figures: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    finally:
        shutil.rmtree(state, ignore_errors=True)
    figures["accounts"] = accounts
    figures["orders"] = orders
    figures["time_scale"] = time_scale
    figures["records_per_s"] = round((accounts + orders) / figures["wall_s"], 1)
    figures["checkpoint_share"] = round(figures["store_write_s"] / figures["wall_s"], 4)
    return figures


def report(figures: dict[str, Any]) -> None:
    orders = f" and {figures['orders']:,} Orders" if figures["orders"] else ""
    n = f"{figures['accounts']:,} Accounts{orders}, time scale {figures['time_scale']:g}"
    rss, before = figures["peak_rss_mb"], figures["rss_before_run_mb"]
    print(f"{n}: peak RSS {rss:.1f} MB (before the run {before:.1f} MB)", flush=True)
    settled = "; ".join(
        f"{flow} loaded {counts['loaded']:,}, failed {counts['failed']:,}"
        for flow, counts in figures["flows"].items()
        if counts["extracted"] and flow != "OrderItem"  # lines travel inside their orders
    )
    print(
        f"{n}: {figures['wall_s']:.1f} s wall, {figures['records_per_s']:,.0f} records/s, client CPU "
        f"{figures['client_cpu_s']:.1f} s; {settled}",
        flush=True,
    )
    print(
        f"{n}: checkpoint writes {figures['store_write_s']:.2f} s in {figures['store_write_transactions']:,} "
        f"transactions = {figures['checkpoint_share']:.1%} of run time",
        flush=True,
    )


def targets(runs: list[dict[str, Any]]) -> dict[str, Any]:
    fast = {r["accounts"]: r for r in runs if r["time_scale"] == 0 and not r["orders"]}
    paced = [r for r in runs if r["time_scale"] > 0]
    verdict: dict[str, Any] = {}
    if fast:
        verdict["checkpoint_share_client_bound"] = max(r["checkpoint_share"] for r in fast.values())
    if paced:
        verdict["checkpoint_share_paced"] = max(r["checkpoint_share"] for r in paced)
        verdict["checkpoint_share_met"] = verdict["checkpoint_share_paced"] <= CHECKPOINT_SHARE_LIMIT
    if 1_000_000 in fast:
        verdict["rss_1m_mb"] = fast[1_000_000]["peak_rss_mb"]
        verdict["rss_1m_met"] = verdict["rss_1m_mb"] <= RSS_LIMIT_MB
    if 1_000_000 in fast and 100_000 in fast:
        growth = fast[1_000_000]["peak_rss_mb"] / fast[100_000]["peak_rss_mb"] - 1
        verdict["rss_growth_100k_to_1m"] = round(growth, 3)
        verdict["rss_growth_met"] = growth <= RSS_GROWTH_LIMIT
    return verdict


def main(plan: list[tuple[int, float]], command: str, orders: int = 0) -> int:
    runs = []
    for accounts, time_scale in plan:
        figures = anyio.run(measure, accounts, time_scale, orders)
        report(figures)
        runs.append(figures)
    verdict = targets(runs)
    for key, value in verdict.items():
        if key.endswith("_met"):
            print(f"target {key.removesuffix('_met')}: {'met' if value else 'MISSED'}")
    document = {
        "benchmark": "whole pipeline runs: peak RSS by size, checkpoint writes as a share of run time",
        "command": command,
        "machine": machine(),
        "setup": "Accounts (and --orders Orders of 1-5 lines), 2% bad; NetSuite sandbox pool 5 at each "
        "run's time scale; no page latency; default settings (concurrency 5, chunk 100, write-back on); "
        "sandboxes in their own process",
        "runs": runs,
        "targets": verdict,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(REPO)}")
    return 0 if all(v for k, v in verdict.items() if k.endswith("_met")) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, action="append", help="run size (repeatable)")
    parser.add_argument("--time-scale", type=float, default=0.0, help="NetSuite latency scale for --accounts")
    parser.add_argument("--orders", type=int, default=0, help="Orders beside the --accounts (1-5 lines each)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main()
    else:
        chosen = [(n, args.time_scale) for n in args.accounts] if args.accounts else list(PLAN)
        command = "python " + " ".join(["benchmarks/bench_pipeline.py", *sys.argv[1:]])
        sys.exit(main(chosen, command, args.orders))
