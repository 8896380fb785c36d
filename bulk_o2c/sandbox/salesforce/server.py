"""The Salesforce sandbox server: one aiohttp application on loopback playing login and instance.

Rules this module owns:

- It binds to a loopback address only; ``base_url`` is both the login URL (token endpoint, JWT
  audience) and the ``instance_url`` handed to clients.
- Every request is counted by endpoint (route name). Then, in order: an armed HTTP fault answers
  instead of the server; a ``/services/data`` call needs ``Authorization: Bearer`` with a live
  session (else 401 INVALID_SESSION_ID, or INVALID_AUTH_HEADER when the header is missing or not
  Bearer); it uses one request of the daily allowance (else 403 REQUEST_LIMIT_EXCEEDED); then the
  handler runs, and its :class:`ApiError` becomes the JSON list error response.
- Every ``/services/data`` response carries ``Sforce-Limit-Info: api-usage=<used>/<limit>``.
- ``GET /sandbox/stats`` (no auth) returns the counters as JSON; the same figures are attributes.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Self

from aiohttp import web

from bulk_o2c.errors import ConfigError
from bulk_o2c.loopback import is_loopback_host
from bulk_o2c.sandbox.salesforce.api_errors import ApiError, error_response, not_found
from bulk_o2c.sandbox.salesforce.clock import SandboxClock
from bulk_o2c.sandbox.salesforce.config import SalesforceSandboxConfig
from bulk_o2c.sandbox.salesforce.dataset import Dataset
from bulk_o2c.sandbox.salesforce.describe import DescribeEndpoint
from bulk_o2c.sandbox.salesforce.faults import HTTP_FAULTS, Fault, FaultPlan
from bulk_o2c.sandbox.salesforce.ingest_jobs import IngestJobService
from bulk_o2c.sandbox.salesforce.limits import NEARLY_EXHAUSTED_SHARE, ApiUsage, limits_body
from bulk_o2c.sandbox.salesforce.oauth import OAuthEndpoints
from bulk_o2c.sandbox.salesforce.query_jobs import QueryJobService
from bulk_o2c.sandbox.salesforce.sessions import SessionStore
from bulk_o2c.sandbox.salesforce.stats import SandboxStats
from bulk_o2c.sandbox.salesforce.writes import WriteOverlay
from bulk_o2c.sandbox.serving import serve_until_cancelled

API_PREFIX = "/services/data/"
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _fault_response(fault: Fault) -> web.Response:
    if fault is Fault.SERVICE_UNAVAILABLE:
        return error_response(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable, please retry")
    if fault is Fault.SERVER_ERROR:
        return error_response(
            500,
            "UNKNOWN_EXCEPTION",
            "An unexpected error occurred. Please include this ErrorId if you contact support: "
            "1234567890-12345 (-1234567890)",
        )
    return error_response(
        403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentRequests (Concurrent API Requests) Limit exceeded."
    )


class SalesforceSandbox:
    """An emulated Salesforce org: OAuth, Bulk API 2.0 query and ingest jobs, limits and faults."""

    def __init__(self, config: SalesforceSandboxConfig | None = None) -> None:
        self.config = config if config is not None else SalesforceSandboxConfig()
        self.clock = SandboxClock(self.config.clock, self.config.time_scale)
        self.dataset = Dataset(self.config.dataset, self.config.shape)
        self.stats = SandboxStats()
        limit, used = self.config.api_request_limit, self.config.api_requests_used
        if self.config.shape.nearly_exhausted_limits:
            used = max(used, limit - int(limit * NEARLY_EXHAUSTED_SHARE))
        self.usage = ApiUsage(limit, used)
        self.faults = FaultPlan()
        self.writes = WriteOverlay()
        self.sessions = SessionStore(self.clock, self.config.session_timeout_s, self.stats)
        if self.config.refresh_token is not None:
            self.sessions.new_refresh_token(self.config.refresh_token)
        job_numbers = itertools.count(1)
        services = (self.config, self.dataset, self.writes, self.clock, self.stats, self.faults)
        self._query_jobs = QueryJobService(*services, lambda: next(job_numbers))
        self._ingest_jobs = IngestJobService(*services, lambda: next(job_numbers))
        self._describe = DescribeEndpoint(self.config.shape.objects())
        self._oauth = OAuthEndpoints(self.config, self.sessions, self.clock, lambda: self.base_url)
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    # -- life ----------------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.add_routes(
            [
                web.post("/services/oauth2/token", self._oauth.token, name="oauth_token"),
                web.post("/services/oauth2/introspect", self._oauth.introspect, name="oauth_introspect"),
                web.get("/sandbox/stats", self._stats_endpoint, name="sandbox_stats"),
                *self._query_jobs.routes(),
                *self._ingest_jobs.routes(),
                *self._describe.routes(),
                web.get("/services/data/{version:v\\d+\\.\\d}/limits", self._limits, name="limits"),
            ]
        )
        app.on_response_prepare.append(self._on_prepare)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if not is_loopback_host(host):
            raise ConfigError(f"the Salesforce sandbox binds loopback addresses only, not {host!r}")
        if self._runner is not None:
            raise RuntimeError("the sandbox is already running")
        runner = web.AppRunner(self.build_app(), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        bound_host, bound_port = runner.addresses[0][:2]
        self._runner = runner
        self._base_url = f"http://{bound_host if ':' not in bound_host else f'[{bound_host}]'}:{bound_port}"

    async def stop(self) -> None:
        if self._runner is None:
            return
        await self._query_jobs.close()
        await self._ingest_jobs.close()
        await self._runner.cleanup()
        self._runner = None
        self._base_url = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: the login URL and the instance URL."""
        if self._base_url is None:
            raise RuntimeError("the sandbox is not running")
        return self._base_url

    # -- test controls -------------------------------------------------------------------------

    def expire_sessions(self) -> None:
        """End every live session: the next API call with any of them gets INVALID_SESSION_ID."""
        self.sessions.expire_all()

    def issue_refresh_token(self) -> str:
        """A refresh token of a new family, as if a user had just authorised the connected app."""
        return self.sessions.new_refresh_token()

    def written_values(self, sobject: str) -> dict[str, Mapping[str, str | None]]:
        """Record id -> the fields ingest jobs set on it (None = set to null with #N/A)."""
        return {
            self.dataset.record_id(sobject, slot): write.values
            for slot, write in self.writes.written(sobject).items()
        }

    # -- plumbing ------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        route = request.match_info.route
        endpoint = route.name or "unknown"
        self.stats.requests[endpoint] += 1
        fault = self.faults.take(endpoint, HTTP_FAULTS)
        if fault is not None:
            self.stats.faults_served[fault] += 1
            return _fault_response(fault)
        if request.path.startswith(API_PREFIX):
            refusal = self._authorize(request)
            if refusal is not None:
                return refusal
        try:
            response = await handler(request)
        except ApiError as error:
            return error.response()
        except web.HTTPNotFound:
            return not_found().response()
        except web.HTTPMethodNotAllowed:
            return error_response(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed")
        if self.faults.take(endpoint, frozenset({Fault.ANSWER_LOST})) is not None:
            self.stats.faults_served[Fault.ANSWER_LOST] += 1
            if request.transport is not None:
                request.transport.close()
        return response

    def _authorize(self, request: web.Request) -> web.Response | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            self.stats.unauthorized_sent += 1
            return error_response(401, "INVALID_AUTH_HEADER", "INVALID_HEADER_TYPE")
        if self.sessions.find(token.strip()) is None:
            self.stats.unauthorized_sent += 1
            return error_response(401, "INVALID_SESSION_ID", "Session expired or invalid")
        if not self.usage.consume():
            return error_response(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        return None

    async def _on_prepare(self, request: web.Request, response: web.StreamResponse) -> None:
        if request.path.startswith(API_PREFIX):
            response.headers["Sforce-Limit-Info"] = self.usage.header()
        if isinstance(response, web.Response) and isinstance(response.body, bytes):
            self.stats.bytes_sent += len(response.body)

    async def _limits(self, request: web.Request) -> web.Response:
        return web.json_response(limits_body(self.usage, self.config.shape.nearly_exhausted_limits))

    async def _stats_endpoint(self, request: web.Request) -> web.Response:
        body = self.stats.to_json()
        body["api_usage"] = {"used": self.usage.used, "limit": self.usage.limit}
        body["written_records"] = {name: len(self.writes.written(name)) for name in ("Account", "Order")}
        return web.json_response(body)


async def serve(
    config: SalesforceSandboxConfig,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    on_ready: Callable[[SalesforceSandbox], None] | None = None,
) -> None:
    """Run a sandbox until cancelled; ``on_ready`` gets it once it listens (read ``base_url`` there)."""
    await serve_until_cancelled(SalesforceSandbox(config), host, port, on_ready)
