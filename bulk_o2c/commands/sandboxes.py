"""Running the emulators standalone, and pointing the client at one.

A sandbox started by ``bulk-o2c sandbox netsuite`` describes its account at ``/sandbox/account``
(account id, pool, record cap, latency model); the client reads that instead of assuming it, so
the ceiling printed by the load and bench commands is the one the running sandbox enforces.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from pydantic import SecretStr
from rich.console import Console

from bulk_o2c.config import NetSuiteSettings, check_endpoint
from bulk_o2c.errors import ConfigError
from bulk_o2c.sandbox.netsuite.config import LatencyModel, NetSuiteSandboxConfig, SandboxCredentials
from bulk_o2c.sandbox.netsuite.server import NetSuiteSandbox, run_forever


@dataclass(frozen=True, slots=True)
class SandboxAccount:
    account_id: str
    concurrency_limit: int
    max_records: int
    time_scale: float
    latency: LatencyModel

    def request_seconds(self, chunk: int, record_type: str = "customer", lines_per_record: int = 0) -> float:
        return self.time_scale * self.latency.account_seconds({record_type: chunk}, chunk * lines_per_record)

    def ceiling(self, concurrency: int, chunk: int, record_type: str = "customer", lines: int = 0) -> float:
        """Records/s the latency model allows: ``concurrency x chunk / request time``."""
        seconds = self.request_seconds(chunk, record_type, lines)
        return concurrency * chunk / seconds if seconds > 0 else float("inf")


def run_netsuite_sandbox(
    console: Console, port: int, concurrency_limit: int, max_records: int, time_scale: float
) -> None:
    config = NetSuiteSandboxConfig(
        concurrency_limit=concurrency_limit, max_records=max_records, time_scale=time_scale
    )

    def ready(sandbox: NetSuiteSandbox) -> None:
        console.print(
            f"NetSuite sandbox for account {config.account_id} at {sandbox.base_url} "
            f"(pool {concurrency_limit}, {max_records} records per request, time scale {time_scale})\n"
            f"SOAP endpoint: {sandbox.soap_url()}\n"
            f"load it:  bulk-o2c load-customers 10000 --sandbox {sandbox.base_url}\n"
            "Ctrl-C stops it.",
            highlight=False,
        )

    run_forever(config, "127.0.0.1", port, on_ready=ready)


async def describe_netsuite_sandbox(base_url: str) -> SandboxAccount:
    url = check_endpoint(base_url) + "/sandbox/account"
    try:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            response.raise_for_status()
            doc = await response.json()
    except aiohttp.ClientError as exc:
        raise ConfigError(f"no NetSuite sandbox answers at {base_url}: {exc}") from None
    latency = doc["latency"]
    return SandboxAccount(
        account_id=doc["account_id"],
        concurrency_limit=int(doc["concurrency_limit"]),
        max_records=int(doc["max_records"]),
        time_scale=float(doc["time_scale"]),
        latency=LatencyModel(
            base_s=float(latency["base_s"]),
            record_s={k: float(v) for k, v in latency["record_s"].items()},
            other_record_s=float(latency["other_record_s"]),
            sales_order_line_s=float(latency["sales_order_line_s"]),
        ),
    )


def netsuite_sandbox_settings(
    base: NetSuiteSettings, base_url: str, account: SandboxAccount
) -> NetSuiteSettings:
    """The configured settings, re-aimed at a sandbox with its demo credentials."""
    credentials = SandboxCredentials.demo()
    return base.model_copy(
        update={
            "account_id": account.account_id,
            "soap_url": check_endpoint(base_url) + f"/services/NetSuitePort_{base.endpoint_version}",
            "consumer_key": SecretStr(credentials.consumer_key),
            "consumer_secret": SecretStr(credentials.consumer_secret),
            "token_id": SecretStr(credentials.token_id),
            "token_secret": SecretStr(credentials.token_secret),
        }
    )
