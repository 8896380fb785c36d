"""What NetSuite said about one record of an ``upsertList``: the values, not their XML.

Rules this module owns:
- ``saved`` is true when the record is in NetSuite: ``isSuccess``, or any status detail flagged
  ``afterSubmitFailed`` (an afterSubmit user event failed after the save). A saved record must not
  be sent again as if it had failed.
- Details keep NetSuite's order; ``type`` is ``ERROR`` (the schema default), ``WARN`` or ``INFO``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StatusDetail:
    code: str
    message: str
    type: str
    after_submit_failed: bool


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    is_success: bool
    internal_id: str | None
    external_id: str | None
    record_type: str | None
    details: tuple[StatusDetail, ...]

    @property
    def saved(self) -> bool:
        return self.is_success or any(d.after_submit_failed for d in self.details)

    @property
    def warnings(self) -> tuple[StatusDetail, ...]:
        return tuple(d for d in self.details if d.type == "WARN")

    @property
    def errors(self) -> tuple[StatusDetail, ...]:
        return tuple(d for d in self.details if d.type == "ERROR")
