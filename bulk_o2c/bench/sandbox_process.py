"""The sandboxes in a child process, so a benchmark never counts their CPU (or memory) as the client's.

    async with sandbox_process(SandboxSpec(netsuite=NetSuiteSpec(concurrency_limit=20))) as urls:
        urls.netsuite        # http://127.0.0.1:PORT, for describe_netsuite_sandbox()

Rules this module owns:

- The child is ``python -m bulk_o2c.bench.sandbox_process``. It reads the spec as one JSON line on
  stdin, prints one JSON line of base URLs on stdout once every sandbox listens, and serves until
  its stdin closes. The parent holds that pipe, so a child never outlives its parent, even one
  killed with SIGKILL; leaving the context closes it and waits for the child (killing it after
  ``STOP_TIMEOUT_S``).
- The Salesforce org trusts the public key in the spec and nothing else: the private key stays with
  the parent. With both sandboxes, the NetSuite item catalogue is the org's Product2 codes, so order
  lines resolve as they do in the demo.
- A child that fails before it is ready makes the parent raise ``SandboxProcessError`` with the
  child's exit code; its own traceback is on the inherited stderr.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import anyio
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

from bulk_o2c.errors import BulkO2CError
from bulk_o2c.sandbox.netsuite.config import LatencyModel, NetSuiteSandboxConfig
from bulk_o2c.sandbox.netsuite.server import NetSuiteSandbox
from bulk_o2c.sandbox.salesforce.config import SalesforceSandboxConfig
from bulk_o2c.sandbox.salesforce.dataset import DatasetSpec
from bulk_o2c.sandbox.salesforce.server import SalesforceSandbox

READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 10.0
_MAX_LINE = 64 * 1024


class SandboxProcessError(BulkO2CError):
    """The sandbox child process did not come up."""


@dataclass(frozen=True, slots=True)
class LatencySpec:
    """The NetSuite sandbox latency model (``LatencyModel``) in plain numbers."""

    base_s: float = 0.25
    customer_s: float = 0.02
    sales_order_s: float = 0.05
    other_record_s: float = 0.02
    sales_order_line_s: float = 0.005


@dataclass(frozen=True, slots=True)
class NetSuiteSpec:
    concurrency_limit: int = 5
    max_records: int = 100
    time_scale: float = 1.0
    latency: LatencySpec = field(default_factory=LatencySpec)
    seed: int = 1


@dataclass(frozen=True, slots=True)
class SalesforceSpec:
    jwt_public_key_pem: str
    accounts: int
    orders: int
    page_latency_s: float = 0.0
    seed: int = 1


@dataclass(frozen=True, slots=True)
class SandboxSpec:
    netsuite: NetSuiteSpec | None = None
    salesforce: SalesforceSpec | None = None


@dataclass(frozen=True, slots=True)
class SandboxUrls:
    netsuite: str | None
    salesforce: str | None


@asynccontextmanager
async def sandbox_process(spec: SandboxSpec) -> AsyncIterator[SandboxUrls]:
    """Start the sandboxes of ``spec`` in a child process; they stop when the block ends."""
    process = await anyio.open_process(
        [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None
    )
    try:
        urls = await _ready(process, spec)
        yield urls
    finally:
        with anyio.CancelScope(shield=True):
            await _stop(process)


async def _ready(process: Process, spec: SandboxSpec) -> SandboxUrls:
    assert process.stdin is not None
    assert process.stdout is not None
    await process.stdin.send(json.dumps(asdict(spec)).encode() + b"\n")
    try:
        with anyio.fail_after(READY_TIMEOUT_S):
            line = await BufferedByteReceiveStream(process.stdout).receive_until(b"\n", _MAX_LINE)
    except TimeoutError:
        raise SandboxProcessError(f"no sandbox process ready after {READY_TIMEOUT_S:.0f} s") from None
    except (anyio.EndOfStream, anyio.IncompleteRead):
        code = await process.wait()
        raise SandboxProcessError(f"the sandbox process did not start (exit code {code})") from None
    doc = json.loads(line)
    return SandboxUrls(netsuite=doc["netsuite"], salesforce=doc["salesforce"])


async def _stop(process: Process) -> None:
    assert process.stdin is not None
    await process.stdin.aclose()
    with anyio.move_on_after(STOP_TIMEOUT_S):
        await process.wait()
        return
    process.kill()
    await process.wait()


# The child side: everything below runs in the sandbox process only.


def _netsuite_config(spec: dict[str, Any], items: frozenset[str]) -> NetSuiteSandboxConfig:
    latency = spec["latency"]
    return NetSuiteSandboxConfig(
        concurrency_limit=spec["concurrency_limit"],
        max_records=spec["max_records"],
        time_scale=spec["time_scale"],
        latency=LatencyModel(
            base_s=latency["base_s"],
            record_s={"customer": latency["customer_s"], "salesOrder": latency["sales_order_s"]},
            other_record_s=latency["other_record_s"],
            sales_order_line_s=latency["sales_order_line_s"],
        ),
        items=items,
        seed=spec["seed"],
    )


def _salesforce_config(spec: dict[str, Any]) -> SalesforceSandboxConfig:
    return SalesforceSandboxConfig(
        dataset=DatasetSpec(seed=spec["seed"], n_accounts=spec["accounts"], n_orders=spec["orders"]),
        jwt_public_key_pem=spec["jwt_public_key_pem"],
        page_latency_s=spec["page_latency_s"],
    )


async def _serve(spec: dict[str, Any]) -> None:
    salesforce = SalesforceSandbox(_salesforce_config(spec["salesforce"])) if spec["salesforce"] else None
    netsuite = None
    if spec["netsuite"]:
        items: frozenset[str] = frozenset()
        if salesforce is not None:
            dataset = salesforce.dataset
            items = frozenset(str(dataset.product(i)["ProductCode"]) for i in range(dataset.spec.n_products))
        netsuite = NetSuiteSandbox(_netsuite_config(spec["netsuite"], items))
    running = [box for box in (netsuite, salesforce) if box is not None]
    for box in running:
        await box.start()
    try:
        urls = {
            "netsuite": netsuite.base_url if netsuite else None,
            "salesforce": salesforce.base_url if salesforce else None,
        }
        sys.stdout.write(json.dumps(urls) + "\n")
        sys.stdout.flush()
        # Serve until the parent closes our stdin (or dies).
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.buffer.read)
    finally:
        for box in running:
            await box.stop()


def main() -> None:
    spec = json.loads(sys.stdin.buffer.readline())
    asyncio.run(_serve(spec))


if __name__ == "__main__":
    main()
