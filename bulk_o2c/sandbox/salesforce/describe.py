"""``GET /services/data/vXX.X/sobjects/{name}/describe`` for the org's (shaped) objects.

Rules this module owns:
- The answer is the documented shape, trimmed to what an integration reads: ``name`` and
  ``fields[]`` with ``name``, ``type``, ``updateable``, ``createable``, ``nillable``, and for a lookup
  ``relationshipName`` and ``referenceTo``. A field the shape hides is not listed.
- ``updateable`` / ``createable`` are true exactly for the fields an ingest row may set.
- An object the org does not have answers 404 ``NOT_FOUND``, as Salesforce does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bulk_o2c.sandbox.salesforce.api_errors import not_found
from bulk_o2c.sandbox.salesforce.schema import SObject, object_named

_TYPES = {
    "Id": "id",
    "IsActive": "boolean",
    "IsPersonAccount": "boolean",
    "SystemModstamp": "datetime",
    "EffectiveDate": "date",
    "Quantity": "double",
    "UnitPrice": "currency",
    "TotalAmount": "currency",
    "Status": "picklist",
    "CurrencyIsoCode": "picklist",
    "BillingCountryCode": "picklist",
    "Phone": "phone",
    "Website": "url",
    "BillingStreet": "textarea",
    "Description": "textarea",
}
_NOT_NILLABLE = frozenset({"Id", "Name", "SystemModstamp", "LastModifiedById", "IsPersonAccount"})


def describe_body(sobject: SObject) -> dict[str, Any]:
    lookups = {r.foreign_key: (name, r.parent) for name, r in sobject.relationships.items()}
    lookups["LastModifiedById"] = ("LastModifiedBy", "User")
    fields = []
    for name in sobject.fields:
        writable = name in sobject.writable
        field: dict[str, Any] = {
            "name": name,
            "type": "reference" if name in lookups else _TYPES.get(name, "string"),
            "updateable": writable,
            "createable": writable,
            "nillable": name not in _NOT_NILLABLE,
        }
        if name in lookups:
            relationship, parent = lookups[name]
            field["relationshipName"] = relationship
            field["referenceTo"] = [parent]
        fields.append(field)
    return {"name": sobject.name, "fields": fields, "queryable": True, "updateable": bool(sobject.writable)}


class DescribeEndpoint:
    def __init__(self, objects: Mapping[str, SObject]) -> None:
        self._objects = objects

    def routes(self) -> list[web.RouteDef]:
        path = "/services/data/{version:v\\d+\\.\\d}/sobjects/{sobject}/describe"
        return [web.get(path, self.describe, name="sobject_describe")]

    async def describe(self, request: web.Request) -> web.Response:
        sobject = object_named(request.match_info["sobject"], self._objects)
        if sobject is None:
            raise not_found()
        return web.json_response(describe_body(sobject))
