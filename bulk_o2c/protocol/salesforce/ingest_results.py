"""An upsert job's three result CSVs, read into one outcome per uploaded row.

Rules this module owns (reference: salesforce-bulk2.md sections 2.4, 3.2, 7.5):

- ``successfulResults/`` has ``sf__Id`` and ``sf__Created`` (``true`` on insert, ``false`` on
  update) before the uploaded columns; ``failedResults/`` has ``sf__Id`` (empty when no record is
  known) and ``sf__Error``; ``unprocessedrecords/`` has the uploaded columns alone. Columns are
  found by name, never by position: peers have seen the uploaded columns echoed in another order.
- Rows come back in any order, so each is joined to the upload by its external id value, which
  the upload made unique. A result naming an id that was not uploaded, or an id twice, cannot be
  joined honestly and is a ``SalesforceProtocolError``.
- Every uploaded row ends with exactly one outcome: ``Succeeded``, ``Failed`` or ``Unprocessed``.
  A row that no result CSV mentions is ``Failed`` with the job's ``errorMessage`` when the job
  Failed or was Aborted (the job-level failure is its only known cause), and ``Unprocessed`` when
  the job completed: it was not seen to be written, and an upsert is safe to send again.
- A completed job's result rows must add up to its own counts before any outcome is taken: the
  ``successfulResults`` and ``failedResults`` rows to ``numberRecordsProcessed``, the failed ones to
  ``numberRecordsFailed``. Result files cut short (a dropped connection, a proxy) would otherwise
  file the rows they lost as unprocessed; a mismatch is a ``SalesforceProtocolError``, so the job's
  write-back is not settled and is sent again (an upsert by Id is idempotent).
- ``sf__Error`` is ``CODE:message`` with an optional ``:field1,field2 --`` tail naming the fields
  (``REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --``). The message
  may itself contain colons. A text that does not start with a code keeps the whole text as the
  message, under the code ``UNKNOWN``.
- ``UNABLE_TO_LOCK_ROW`` (and the Bulk exception ``TooManyLockFailure``) mean another
  transaction held the record: the row is worth sending again, in a new job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from bulk_o2c.protocol.salesforce.errors import SalesforceProtocolError
from bulk_o2c.protocol.salesforce.ingest import IngestJobInfo, ResultSet
from bulk_o2c.protocol.salesforce.jobs import JobState

SF_ID: Final = "sf__Id"
SF_CREATED: Final = "sf__Created"
SF_ERROR: Final = "sf__Error"
UNKNOWN_ERROR_CODE: Final = "UNKNOWN"
JOB_FAILED_CODE: Final = "JOB_FAILED"
JOB_ABORTED_CODE: Final = "JOB_ABORTED"
LOCK_ERROR_CODES: Final = frozenset({"UNABLE_TO_LOCK_ROW", "TooManyLockFailure"})

# Bulk API exception codes (salesforce-bulk2.md 3.2) are CamelCase, unlike DML status codes.
_BULK_EXCEPTION_CODES: Final = frozenset(
    {
        "ClientInputError", "ExceededQuota", "FeatureNotEnabled", "InvalidBatch", "InvalidJob",
        "InvalidJobState", "InvalidOperation", "InvalidSessionId", "InvalidUrl", "InvalidUser",
        "InvalidXML", "MethodNotAllowed", "NotFound", "Timeout", "TooManyLockFailure", "Unknown",
    }
)  # fmt: skip
_CODE = re.compile(r"\s*(?P<code>[A-Za-z][A-Za-z0-9_]*)\s*:(?P<rest>.*)", re.DOTALL)
_FIELDS_TAIL = re.compile(r"(?::(?P<fields>[^:]*?))?\s*--\s*\Z")


@dataclass(frozen=True, slots=True)
class RecordError:
    code: str
    message: str
    fields: tuple[str, ...] = ()

    @property
    def is_lock_failure(self) -> bool:
        return self.code in LOCK_ERROR_CODES


@dataclass(frozen=True, slots=True)
class Succeeded:
    sf_id: str
    created: bool


@dataclass(frozen=True, slots=True)
class Failed:
    error: RecordError
    sf_id: str = ""


@dataclass(frozen=True, slots=True)
class Unprocessed:
    reason: str


RowOutcome = Succeeded | Failed | Unprocessed

LISTED_UNPROCESSED: Final = Unprocessed("listed in unprocessedrecords")
NO_RESULT_ROW: Final = Unprocessed("the completed job returned no result row for it")


def parse_sf_error(text: str) -> RecordError:
    """``CODE:message[:fields --]`` into its parts."""
    match = _CODE.fullmatch(text)
    if match is None or not _is_code(match["code"]):
        return RecordError(UNKNOWN_ERROR_CODE, text.strip())
    rest = match["rest"]
    fields: tuple[str, ...] = ()
    tail = _FIELDS_TAIL.search(rest)
    if tail is not None:
        rest = rest[: tail.start()]
        fields = tuple(name.strip() for name in (tail["fields"] or "").split(",") if name.strip())
    return RecordError(match["code"], rest.strip(), fields)


def _is_code(word: str) -> bool:
    return word.isupper() or word in _BULK_EXCEPTION_CODES


@dataclass(frozen=True, slots=True)
class ResultColumns:
    """Where one result CSV keeps what the join needs; built from that CSV's header."""

    result_set: ResultSet
    external_id: int
    sf_id: int = -1
    detail: int = -1  # sf__Created or sf__Error

    @classmethod
    def from_header(
        cls, result_set: ResultSet, header: Sequence[str], external_id_field: str
    ) -> ResultColumns:
        index = {name: position for position, name in enumerate(header)}
        external_id = _column(index, header, external_id_field, result_set)
        if result_set is ResultSet.UNPROCESSED:
            return cls(result_set, external_id)
        detail_name = SF_CREATED if result_set is ResultSet.SUCCESSFUL else SF_ERROR
        return cls(
            result_set,
            external_id,
            sf_id=_column(index, header, SF_ID, result_set),
            detail=_column(index, header, detail_name, result_set),
        )

    def outcome(self, row: Sequence[str]) -> tuple[str, RowOutcome]:
        """The external id a result row names and what happened to it."""
        external_id = row[self.external_id]
        if not external_id:
            raise SalesforceProtocolError(f"a {self.result_set} row has no external id", status=200)
        if self.result_set is ResultSet.UNPROCESSED:
            return external_id, LISTED_UNPROCESSED
        if self.result_set is ResultSet.FAILED:
            return external_id, Failed(parse_sf_error(row[self.detail]), row[self.sf_id])
        created = row[self.detail].strip().lower()
        if created not in ("true", "false"):
            raise SalesforceProtocolError(
                f"{SF_CREATED} is {row[self.detail][:20]!r} for {external_id!r}, not true or false",
                status=200,
            )
        return external_id, Succeeded(row[self.sf_id], created == "true")


def _column(index: Mapping[str, int], header: Sequence[str], name: str, result_set: ResultSet) -> int:
    if name in index:
        return index[name]
    # Salesforce names are case-insensitive; accept an echo in another case if it is unambiguous.
    matches = [position for position, column in enumerate(header) if column.casefold() == name.casefold()]
    if len(matches) != 1:
        raise SalesforceProtocolError(
            f"{result_set} header has no column {name!r}: {list(header)}", status=200
        )
    return matches[0]


class OutcomeJoin:
    """Collects the result rows of one job and gives each uploaded row exactly one outcome."""

    def __init__(self, external_ids: Iterable[str]) -> None:
        self._expected = frozenset(external_ids)
        self._outcomes: dict[str, RowOutcome] = {}
        self._processed = 0  # result rows that say the row was processed, failed ones included
        self._failed = 0

    def add(self, external_id: str, outcome: RowOutcome) -> None:
        if external_id not in self._expected:
            raise SalesforceProtocolError(
                f"a result row names external id {external_id!r}, which this job did not upload", status=200
            )
        if external_id in self._outcomes:
            raise SalesforceProtocolError(
                f"external id {external_id!r} has two result rows; the outcome is ambiguous", status=200
            )
        self._outcomes[external_id] = outcome
        if not isinstance(outcome, Unprocessed):
            self._processed += 1
            self._failed += isinstance(outcome, Failed)

    def finish(self, job: IngestJobInfo) -> dict[str, RowOutcome]:
        """Every uploaded row's outcome, the silent ones decided by the job's final state."""
        if not job.state.is_terminal:
            raise ValueError(f"job {job.id} is still {job.state}; its results are not final")
        listed = (self._processed, self._failed)
        if job.state is JobState.JOB_COMPLETE and listed != (job.records_processed, job.records_failed):
            raise SalesforceProtocolError(
                f"ingest job {job.id}: its results list {self._processed} processed rows ({self._failed} "
                f"failed) but the job processed {job.records_processed} ({job.records_failed} failed); "
                "its outcomes are not taken",
                status=200,
            )
        silent = self._expected.difference(self._outcomes)
        if silent:
            fallback = _fallback(job)
            self._outcomes.update(dict.fromkeys(silent, fallback))
        return self._outcomes


def _fallback(job: IngestJobInfo) -> RowOutcome:
    if job.state is JobState.JOB_COMPLETE:
        return NO_RESULT_ROW
    if job.state is JobState.ABORTED:
        return Failed(RecordError(JOB_ABORTED_CODE, job.error_message or "the job was aborted"))
    return Failed(RecordError(JOB_FAILED_CODE, job.error_message or "job failed without a message"))
