"""SObject describe (``GET /sobjects/{name}/describe``): what an org has, parsed into ``OrgSchema``.

Rules this module owns:

- An answer is ``{"name": ..., "fields": [{"name", "type", "updateable", "createable", "nillable",
  "relationshipName", "referenceTo"}, ...]}`` (Salesforce REST API, "sObject Describe"). ``name``
  and every field's ``name`` are required; the flags default to false when absent, so a field is
  never taken to be writable on a guess. Other keys are ignored.
- Names compare case-insensitively, as SOQL and the ingest header do; the spelling kept is the
  org's.
- An object name goes into the path only after it is checked to be an API name, so a setting
  cannot steer the request elsewhere.
- A field the describe does not list does not exist for this user: field-level security hides
  fields the user cannot read, so "absent" and "not readable" are one case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bulk_o2c.protocol.salesforce.errors import SalesforceProtocolError

_API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def describe_path(sobject: str) -> str:
    """The describe path, relative to ``/services/data/vXX.X/``."""
    if not _API_NAME.fullmatch(sobject):
        raise ValueError(f"{sobject!r} is not an SObject API name")
    return f"sobjects/{sobject}/describe"


@dataclass(frozen=True, slots=True)
class FieldInfo:
    name: str
    type: str = "string"
    updateable: bool = False
    createable: bool = False
    nillable: bool = False
    relationship_name: str | None = None
    """For a lookup (``Product2Id``), the name a SOQL path uses (``Product2``)."""
    reference_to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SObjectSchema:
    name: str
    fields: Mapping[str, FieldInfo] = field(default_factory=lambda: MappingProxyType({}))
    """Keyed by the lower-cased field name."""

    @classmethod
    def of(cls, name: str, fields: Iterable[FieldInfo]) -> SObjectSchema:
        return cls(name, MappingProxyType({f.name.lower(): f for f in fields}))

    def field(self, name: str) -> FieldInfo | None:
        return self.fields.get(name.lower())

    def relationship(self, name: str) -> FieldInfo | None:
        """The lookup field whose relationship is called ``name`` (case-insensitive)."""
        lowered = name.lower()
        return next(
            (
                f
                for f in self.fields.values()
                if f.relationship_name and f.relationship_name.lower() == lowered
            ),
            None,
        )


@dataclass(frozen=True, slots=True)
class OrgSchema:
    """The described objects of one org; an object missing here was not found (or not described)."""

    objects: Mapping[str, SObjectSchema] = field(default_factory=lambda: MappingProxyType({}))
    """Keyed by the lower-cased object name."""

    @classmethod
    def of(cls, objects: Iterable[SObjectSchema]) -> OrgSchema:
        return cls(MappingProxyType({o.name.lower(): o for o in objects}))

    def sobject(self, name: str) -> SObjectSchema | None:
        return self.objects.get(name.lower())

    def field(self, sobject: str, name: str) -> FieldInfo | None:
        """A field of ``sobject``; ``name`` may be a one-level path such as ``Product2.ProductCode``."""
        found = self.sobject(sobject)
        if found is None:
            return None
        relationship, dot, leaf = name.partition(".")
        if not dot:
            return found.field(name)
        lookup = found.relationship(relationship) if relationship else None
        if lookup is None or "." in leaf:
            return None
        parents = (self.sobject(target) for target in lookup.reference_to)
        return next((f for p in parents if p is not None and (f := p.field(leaf)) is not None), None)

    def referenced(self, sobject: str, name: str) -> tuple[str, ...]:
        """The objects a path column (``Product2.ProductCode``) reads through; () for a plain column."""
        relationship, dot, _ = name.partition(".")
        found = self.sobject(sobject)
        lookup = found.relationship(relationship) if dot and found is not None else None
        return () if lookup is None else lookup.reference_to


def _flag(raw: Mapping[str, object], key: str) -> bool:
    return raw.get(key) is True


def _field(raw: object, sobject: str) -> FieldInfo:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise SalesforceProtocolError(f"describe of {sobject}: a field has no name", status=200)
    kind = raw.get("type")
    relationship = raw.get("relationshipName")
    references = raw.get("referenceTo")
    return FieldInfo(
        name=raw["name"],
        type=kind if isinstance(kind, str) else "string",
        updateable=_flag(raw, "updateable"),
        createable=_flag(raw, "createable"),
        nillable=_flag(raw, "nillable"),
        relationship_name=relationship if isinstance(relationship, str) and relationship else None,
        reference_to=tuple(r for r in references if isinstance(r, str))
        if isinstance(references, list)
        else (),
    )


def parse_describe(body: object, asked: str) -> SObjectSchema:
    """The schema in a describe answer for the object ``asked`` for (an answer about another
    object is refused, not filed under the wrong name)."""
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        raise SalesforceProtocolError(f"describe of {asked}: the answer has no object name", status=200)
    name = body["name"]
    if name.lower() != asked.lower():
        raise SalesforceProtocolError(f"describe of {asked} answered for {name!r}", status=200)
    fields = body.get("fields")
    if not isinstance(fields, list):
        raise SalesforceProtocolError(f"describe of {asked}: the answer has no field list", status=200)
    return SObjectSchema.of(name, (_field(raw, name) for raw in fields))
