"""``NetSuiteSandbox``: an emulated NetSuite account served on loopback, and how to run one.

    async with NetSuiteSandbox(NetSuiteSandboxConfig(time_scale=0.01, items=frozenset({"SKU-1"}))) as ns:
        url = ns.soap_url("2025_2")          # http://127.0.0.1:PORT/services/NetSuitePort_2025_2
        creds = ns.credentials               # hand these to the client
        ...
        ns.records("customer"), ns.stats

Rules this module owns:
- The server binds loopback addresses only; anything else is refused before a socket is opened.
- One sandbox is one account: records, pool, fault plan and statistics live as long as the object,
  across stop() and start().
- Introspection (``records``, ``stats``) returns copies; changing them changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import TracebackType

from aiohttp import web

from bulk_o2c.errors import ConfigError
from bulk_o2c.loopback import is_loopback_host
from bulk_o2c.sandbox.netsuite.account import Account
from bulk_o2c.sandbox.netsuite.config import NetSuiteSandboxConfig, SandboxCredentials
from bulk_o2c.sandbox.netsuite.control import ControlRoutes
from bulk_o2c.sandbox.netsuite.endpoint import ROUTE, SoapEndpoint
from bulk_o2c.sandbox.netsuite.faults import FaultPlan
from bulk_o2c.sandbox.netsuite.pool import ConcurrencyPool
from bulk_o2c.sandbox.netsuite.rest_endpoint import RestEndpoint
from bulk_o2c.sandbox.netsuite.stats import Counters, SandboxStats
from bulk_o2c.sandbox.netsuite.store import StoredRecord
from bulk_o2c.sandbox.serving import serve_until_cancelled

DEFAULT_VERSION = "2025_2"
# NetSuite's own request size cap; the sandbox's max_request_bytes may set a lower one.
_HTTP_BODY_LIMIT = 100 * 1024 * 1024


def _require_loopback(host: str) -> None:
    if not is_loopback_host(host):
        raise ConfigError(f"the NetSuite sandbox binds loopback addresses only, not {host!r}")


class NetSuiteSandbox:
    def __init__(self, config: NetSuiteSandboxConfig | None = None) -> None:
        self.config = config if config is not None else NetSuiteSandboxConfig()
        self.faults = FaultPlan(self.config.seed)
        self._pool = ConcurrencyPool(self.config.concurrency_limit, self.config.client_share)
        self._account = Account(self.config, self.faults)
        self._counters = Counters()
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    @property
    def credentials(self) -> SandboxCredentials:
        return self.config.credentials

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the NetSuite sandbox is not running")
        return self._base_url

    def soap_url(self, version: str = DEFAULT_VERSION) -> str:
        return f"{self.base_url}/services/NetSuitePort_{version}"

    def rest_url(self) -> str:
        return f"{self.base_url}/services/rest"

    def request_seconds(self, counts: Mapping[str, int], sales_order_lines: int = 0) -> float:
        return self.config.request_seconds(counts, sales_order_lines)

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=max(_HTTP_BODY_LIMIT, self.config.max_request_bytes or 0) + 1)
        endpoint = SoapEndpoint(self.config, self._account, self._pool, self.faults, self._counters)
        app.router.add_post(ROUTE, endpoint.handle)
        RestEndpoint(self.config, self._pool, endpoint.passports, self._counters).add_to(app)
        ControlRoutes(self.config, self._account, self.faults, self._pool, lambda: self.stats).add_to(app)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        _require_loopback(host)
        if self._runner is not None:
            raise RuntimeError("the NetSuite sandbox is already running")
        runner = web.AppRunner(self._app(), access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        bound_host, bound_port = runner.addresses[0][:2]
        self._runner = runner
        self._base_url = f"http://{f'[{bound_host}]' if ':' in bound_host else bound_host}:{bound_port}"

    async def stop(self) -> None:
        runner, self._runner, self._base_url = self._runner, None, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> NetSuiteSandbox:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def add_items(self, external_ids: Iterable[str]) -> None:
        self._account.add_items(external_ids)

    def set_pressure(self, slots: int) -> None:
        """Let other integrations hold ``slots`` of the pool (0 = none)."""
        self._pool.set_pressure(slots)

    def clear_pressure(self) -> None:
        self._pool.set_pressure(0)

    def records(self, record_type: str) -> list[StoredRecord]:
        return self._account.store.records(record_type)

    def record(self, record_type: str, external_id: str) -> StoredRecord | None:
        internal_id = self._account.store.internal_id(record_type, external_id)
        if internal_id is None:
            return None
        return self._account.store.records(record_type, int(internal_id) - 1, 1)[0]

    @property
    def stats(self) -> SandboxStats:
        counters, pool = self._counters, self._pool
        return SandboxStats(
            requests=counters.requests,
            records_received=counters.records_received,
            records_written=counters.records_written,
            highest_concurrency=pool.highest,
            in_flight=pool.in_flight,
            blocked=pool.blocked,
            pressure=pool.pressure,
            concurrency_limit=pool.limit,
            lost_responses=counters.lost_responses,
            warnings_sent=counters.warnings_sent,
            faults_sent=dict(counters.faults_sent),
            record_errors=dict(counters.record_errors),
            records=self._account.store.counts(),
        )


async def serve(
    config: NetSuiteSandboxConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    on_ready: Callable[[NetSuiteSandbox], None] | None = None,
) -> None:
    """Run a sandbox until cancelled; ``on_ready`` is called once it listens (e.g. to print its URL)."""
    await serve_until_cancelled(NetSuiteSandbox(config), host, port, on_ready)
