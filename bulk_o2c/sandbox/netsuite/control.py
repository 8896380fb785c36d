"""The sandbox's own HTTP API (JSON), so a sandbox in another process can be watched and driven.

    GET    /sandbox/account                                account id, pool, record cap, latency model
    GET    /sandbox/stats                                  SandboxStats plus the pending fault plan
    GET    /sandbox/records?type=customer[&offset=&limit=] stored records, internal-id order
    POST   /sandbox/faults    {"fail_requests": 2, "failure_kind": "unexpected"|"concurrency",
                               "change_records": 3, "lose_responses": 1, "warn_records": 1,
                               "random_rate": 0.05, "seed": 7}   (any subset; each replaces its count)
    DELETE /sandbox/faults                                 cancel every planned and random fault
    POST   /sandbox/pressure  {"slots": 2}                 other integrations hold 2 slots
    DELETE /sandbox/pressure                               they let go
    POST   /sandbox/items     {"external_ids": ["SKU-1"]}  add to the item catalogue

A body that does not fit gets HTTP 400 with {"error": "..."}; nothing is changed then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web

from bulk_o2c.sandbox.netsuite.account import Account
from bulk_o2c.sandbox.netsuite.config import NetSuiteSandboxConfig
from bulk_o2c.sandbox.netsuite.faults import FaultPlan
from bulk_o2c.sandbox.netsuite.pool import ConcurrencyPool
from bulk_o2c.sandbox.netsuite.stats import SandboxStats

_COUNT_FIELDS = ("fail_requests", "change_records", "lose_responses", "warn_records")
_FAULT_FIELDS = frozenset((*_COUNT_FIELDS, "failure_kind", "random_rate", "seed"))


def _json(data: Any) -> web.Response:
    return web.Response(body=orjson.dumps(data), content_type="application/json")


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=orjson.dumps({"error": message}).decode(), content_type="application/json")


async def _object(request: web.Request, allowed: frozenset[str]) -> dict[str, Any]:
    try:
        data = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise _bad("the body is not JSON") from None
    if not isinstance(data, dict):
        raise _bad("the body must be a JSON object")
    unknown = set(data) - allowed
    if unknown:
        raise _bad(f"unknown fields: {', '.join(sorted(unknown))}")
    return data


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _integer(data: dict[str, Any], name: str, minimum: int = 0) -> int:
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _bad(f"{name} must be an integer >= {minimum}")
    return value


class ControlRoutes:
    def __init__(
        self,
        config: NetSuiteSandboxConfig,
        account: Account,
        plan: FaultPlan,
        pool: ConcurrencyPool,
        stats: Callable[[], SandboxStats],
    ) -> None:
        self._config = config
        self._account = account
        self._plan = plan
        self._pool = pool
        self._stats = stats

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/sandbox/account", self.account)
        app.router.add_get("/sandbox/stats", self.stats)
        app.router.add_get("/sandbox/records", self.records)
        app.router.add_post("/sandbox/faults", self.set_faults)
        app.router.add_delete("/sandbox/faults", self.clear_faults)
        app.router.add_post("/sandbox/pressure", self.set_pressure)
        app.router.add_delete("/sandbox/pressure", self.clear_pressure)
        app.router.add_post("/sandbox/items", self.add_items)

    async def account(self, request: web.Request) -> web.Response:
        """What a client in another process needs to compute the ceiling; never the credentials."""
        config, latency = self._config, self._config.latency
        return _json(
            {
                "account_id": config.account_id,
                "concurrency_limit": config.concurrency_limit,
                "max_records": config.max_records,
                "time_scale": config.time_scale,
                "latency": {
                    "base_s": latency.base_s,
                    "record_s": dict(latency.record_s),
                    "other_record_s": latency.other_record_s,
                    "sales_order_line_s": latency.sales_order_line_s,
                },
            }
        )

    async def stats(self, request: web.Request) -> web.Response:
        return _json({"stats": self._stats(), "pending_faults": self._plan.pending()})

    async def records(self, request: web.Request) -> web.Response:
        record_type = request.query.get("type", "")
        try:
            offset = int(request.query.get("offset", "0"))
            limit = int(request.query["limit"]) if "limit" in request.query else None
        except ValueError:
            raise _bad("offset and limit are integers") from None
        if not record_type or offset < 0 or (limit is not None and limit < 0):
            raise _bad("type is required; offset and limit cannot be negative")
        store = self._account.store
        return _json(
            {
                "type": record_type,
                "total": store.count(record_type),
                "records": store.records(record_type, offset, limit),
            }
        )

    async def set_faults(self, request: web.Request) -> web.Response:
        data = await _object(request, _FAULT_FIELDS)
        counts = {name: _integer(data, name) for name in _COUNT_FIELDS if name in data}
        kind = data.get("failure_kind", "unexpected")
        if kind not in ("unexpected", "concurrency"):
            raise _bad("failure_kind is unexpected or concurrency")
        rate = data.get("random_rate")
        if rate is not None and (not _is_number(rate) or not 0 <= rate <= 1):
            raise _bad("random_rate is a number between 0 and 1")
        seed = _integer(data, "seed") if "seed" in data else None
        if "fail_requests" in counts:
            self._plan.fail_requests(counts["fail_requests"], kind)
        if "change_records" in counts:
            self._plan.change_records(counts["change_records"])
        if "lose_responses" in counts:
            self._plan.lose_responses(counts["lose_responses"])
        if "warn_records" in counts:
            self._plan.warn_records(counts["warn_records"])
        if rate is not None:
            self._plan.set_random_rate(float(rate), seed)
        return _json({"pending_faults": self._plan.pending()})

    async def clear_faults(self, request: web.Request) -> web.Response:
        self._plan.clear()
        return _json({"pending_faults": self._plan.pending()})

    async def set_pressure(self, request: web.Request) -> web.Response:
        data = await _object(request, frozenset({"slots"}))
        if "slots" not in data:
            raise _bad("slots is required")
        slots = _integer(data, "slots")
        if slots > self._pool.limit:
            raise _bad(f"slots cannot exceed the account limit ({self._pool.limit})")
        self._pool.set_pressure(slots)
        return _json({"pressure": self._pool.pressure})

    async def clear_pressure(self, request: web.Request) -> web.Response:
        self._pool.set_pressure(0)
        return _json({"pressure": 0})

    async def add_items(self, request: web.Request) -> web.Response:
        data = await _object(request, frozenset({"external_ids"}))
        external_ids = data.get("external_ids")
        if not isinstance(external_ids, list) or not all(isinstance(i, str) and i for i in external_ids):
            raise _bad("external_ids is a list of non-empty strings")
        self._account.add_items(external_ids)
        return _json({"items": self._account.store.count("item")})
