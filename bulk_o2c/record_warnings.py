"""Warnings on a record: lossy changes that still give a correct record, each of a stable kind.

Rules this module owns:
- A warning has a kind, which the summary, the report and ``status`` count per flow, and a message
  that names the NetSuite field and what was lost. The record is loaded; ``bulk-o2c warnings list``
  and ``export`` show each warning with it. Anything that would give a wrong record is a failure
  (the DLQ), never a warning.
- In the checkpoint (``outcomes.warnings``) a record's warnings are a JSON array of
  ``{"kind", "message"}`` objects. A plain string there was written before warnings had kinds and
  reads as ``UNCLASSIFIED``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class WarningKind(StrEnum):
    TEXT_CUT = "TEXT_CUT"  # a text longer than NetSuite allows, cut (a company name to 83)
    ADDRESS_LINES_JOINED = "ADDRESS_LINES_JOINED"  # street lines 4+ joined into addr3
    CHARACTERS_REMOVED = "CHARACTERS_REMOVED"  # characters XML 1.0 cannot carry (NUL, controls)
    NETSUITE_WARNING = "NETSUITE_WARNING"  # NetSuite saved the record and answered a WARN detail
    UNCLASSIFIED = "UNCLASSIFIED"  # from a checkpoint written before warnings had kinds


@dataclass(frozen=True, slots=True)
class RecordWarning:
    kind: WarningKind
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"
