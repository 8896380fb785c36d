"""Which shape of org the sandbox presents: the optional features a real org may or may not have.

Rules this module owns:
- The objects in ``schema`` carry every field any shape can have; a shape hides the ones its org
  lacks, from SOQL, ingest headers and describe alike (a hidden field is "not found" everywhere).
- ``multi_currency`` off hides ``CurrencyIsoCode``; ``country_picklists`` off hides
  ``BillingCountryCode`` (``BillingCountry`` is then free text, see ``dataset``);
  ``person_accounts`` off hides ``IsPersonAccount``, ``FirstName`` and ``LastName``.
- ``missing_fields`` hides fields by name on every object (a write-back field the org never
  created); ``read_only_fields`` keeps them visible but not updateable (field-level security
  without Edit), so writing one fails per row with INVALID_FIELD_FOR_INSERT_UPDATE.
- ``nearly_exhausted_limits``: ``/limits`` reports every daily quota with about 1% remaining.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from bulk_o2c.sandbox.salesforce.schema import OBJECTS, SObject

_MULTI_CURRENCY = frozenset({"CurrencyIsoCode"})
_COUNTRY_PICKLISTS = frozenset({"BillingCountryCode"})
_PERSON_ACCOUNTS = frozenset({"IsPersonAccount", "FirstName", "LastName"})


@dataclass(frozen=True, slots=True)
class OrgShape:
    multi_currency: bool = True
    country_picklists: bool = True
    person_accounts: bool = False
    missing_fields: frozenset[str] = frozenset()
    read_only_fields: frozenset[str] = frozenset()
    nearly_exhausted_limits: bool = False

    def hidden(self) -> frozenset[str]:
        hidden = set(self.missing_fields)
        for enabled, fields in (
            (self.multi_currency, _MULTI_CURRENCY),
            (self.country_picklists, _COUNTRY_PICKLISTS),
            (self.person_accounts, _PERSON_ACCOUNTS),
        ):
            if not enabled:
                hidden |= fields
        return frozenset(name.lower() for name in hidden)

    def objects(self) -> Mapping[str, SObject]:
        """The org's objects, with the fields this shape lacks removed."""
        hidden = self.hidden()
        read_only = {name.lower() for name in self.read_only_fields}
        shaped = {}
        for name, sobject in OBJECTS.items():
            fields = tuple(f for f in sobject.fields if f.lower() not in hidden)
            writable = frozenset(f for f in sobject.writable if f in fields and f.lower() not in read_only)
            shaped[name] = replace(sobject, fields=fields, writable=writable)
        return MappingProxyType(shaped)
