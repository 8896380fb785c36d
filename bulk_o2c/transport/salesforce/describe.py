"""Describe the SObjects a run reads or writes: one ``GET /sobjects/{name}/describe`` each.

An object the org does not have (404, or ``NOT_FOUND`` / ``INVALID_TYPE``) is left out of the
``OrgSchema`` rather than raised, so the plan can say which object is missing and what to do;
every other failure (auth, limits, a malformed answer) goes to the caller as it came.
"""

from __future__ import annotations

from collections.abc import Iterable

from bulk_o2c.protocol.salesforce.describe import OrgSchema, SObjectSchema, describe_path, parse_describe
from bulk_o2c.protocol.salesforce.errors import NotFoundError, RequestRejectedError
from bulk_o2c.transport.salesforce.http import SalesforceHttp

_MISSING_OBJECT_CODES = frozenset({"NOT_FOUND", "INVALID_TYPE"})


async def describe_sobject(http: SalesforceHttp, sobject: str) -> SObjectSchema | None:
    """The object's schema, or None when the org has no such object (for this user)."""
    try:
        body = await http.request_json("GET", describe_path(sobject))
    except NotFoundError:
        return None
    except RequestRejectedError as exc:
        if exc.error_code in _MISSING_OBJECT_CODES:
            return None
        raise
    return parse_describe(body, sobject)


async def describe_org(http: SalesforceHttp, sobjects: Iterable[str]) -> OrgSchema:
    """Describe each named object once; the objects the org lacks are left out."""
    found = [await describe_sobject(http, name) for name in dict.fromkeys(sobjects)]
    return OrgSchema.of(s for s in found if s is not None)
