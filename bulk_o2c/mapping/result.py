"""What mapping one Salesforce record gives: a NetSuite record with its warnings, or a per-record error.

Rules this module owns:
- A mapping never raises for bad data: every problem in a row becomes a ``MappingFailure`` with a
  stable code (the DLQ and the reports group on it) and a message naming the Salesforce field.
- A value quoted in a message is cut to ``QUOTED_VALUE_MAX`` characters and ``repr``-escaped, so
  line breaks, terminal escapes and bidi controls from a hostile row cannot forge or break a log line.
- Warnings (``bulk_o2c.record_warnings``) are for lossy transforms that still give a correct record
  (a name cut, address lines joined); anything that would give a wrong record is a failure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bulk_o2c.protocol.netsuite.records import NetSuiteRecord
from bulk_o2c.record_warnings import RecordWarning

QUOTED_VALUE_MAX = 40


class MappingErrorCode(StrEnum):
    MISSING_FIELD = "MAPPING_MISSING_FIELD"
    INVALID_ID = "MAPPING_INVALID_ID"
    INVALID_NUMBER = "MAPPING_INVALID_NUMBER"
    INVALID_DATE = "MAPPING_INVALID_DATE"
    INVALID_BOOLEAN = "MAPPING_INVALID_BOOLEAN"
    NEGATIVE_QUANTITY = "MAPPING_NEGATIVE_QUANTITY"
    UNKNOWN_COUNTRY = "MAPPING_UNKNOWN_COUNTRY"
    UNKNOWN_STATUS = "MAPPING_UNKNOWN_STATUS"
    UNKNOWN_CURRENCY = "MAPPING_UNKNOWN_CURRENCY"
    UNKNOWN_VALUE = "MAPPING_UNKNOWN_VALUE"
    DISCOUNT_WITHOUT_ITEM = "MAPPING_DISCOUNT_WITHOUT_ITEM"


@dataclass(frozen=True, slots=True)
class MappingFailure:
    code: MappingErrorCode
    message: str


@dataclass(frozen=True, slots=True)
class MappedRecord:
    """Exactly one of ``record`` and ``failure`` is set.

    ``sf_id`` is the Salesforce id as the row carried it, so a failure can be filed even when the id
    itself is what failed.
    """

    sf_id: str
    record: NetSuiteRecord | None
    warnings: tuple[RecordWarning, ...] = ()
    failure: MappingFailure | None = None

    def __post_init__(self) -> None:
        if (self.record is None) == (self.failure is None):
            raise ValueError("a MappedRecord carries either a record or a failure")


class Rejected(Exception):
    """Raised by a rule inside a mapping and turned into a ``MappingFailure`` by the mapper."""

    def __init__(self, code: MappingErrorCode, message: str) -> None:
        super().__init__(message)
        self.failure = MappingFailure(code, message)


def quoted(value: str) -> str:
    """``value`` safe to put in a log line: at most QUOTED_VALUE_MAX characters, escaped by repr."""
    if len(value) <= QUOTED_VALUE_MAX:
        return repr(value)
    return f"{value[:QUOTED_VALUE_MAX]!r}... ({len(value)} characters)"


def mapped(sf_id: str, build: Callable[[list[RecordWarning]], NetSuiteRecord]) -> MappedRecord:
    """Run ``build`` (which appends warnings and raises ``Rejected``) into a ``MappedRecord``."""
    warnings: list[RecordWarning] = []
    try:
        record = build(warnings)
    except Rejected as rejected:
        return MappedRecord(sf_id, None, failure=rejected.failure)
    return MappedRecord(sf_id, record, tuple(warnings))
