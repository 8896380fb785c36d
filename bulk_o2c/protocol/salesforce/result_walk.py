"""Following one query job's result pages: loops and totals, checked before an end is committed.

Rules this module owns:

- A walk is told every place it is about to follow: each ``Sforce-Locator``, each ``resultPages``
  listing URL (the first one and every ``nextRecordsUrl``) and each page link. A place followed
  before is a loop (``ResultLoopError``): a server that sends a locator or link back would be
  followed forever (in a probe, 200 rows became 4.95 million before the org's daily API limit
  stopped the run).
- A walk that knows the job's total follows at most two places per row still to read, plus two
  (a page link and a listing for each page, each page holding a row, and one empty page): a
  server that sends a new locator or link with every empty page is a loop too, which no repeat
  and no row count would find (``ResultLoopError``).
- Rows are counted against the job's ``numberRecordsProcessed`` as a page is read, at the end of
  the read and not after it: a page that takes the count past it (``ResultOverrunError``) or a
  last page that leaves it short (``ShortReadError``) raises from inside the read, so a caller that
  stages a page's rows and its end in one transaction commits neither.
- A page counts once, however often its rows are read; the next page's ``rows_before`` is the
  count so far.
- A walk resumed without the count of rows read before it knows no totals; it still finds loops.
- These errors say the job's results cannot be trusted: its pages are read again from a new job,
  never from the same one (its locators are what went wrong).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

from bulk_o2c.errors import PermanentError
from bulk_o2c.protocol.salesforce.csv_stream import Row, RowCountMismatchError


class UntrustedResultsError(PermanentError):
    """A query job's result pages loop or do not add up to what the job processed."""

    def __init__(self, message: str, *, job_id: str) -> None:
        super().__init__(message)
        self.job_id = job_id


class ResultLoopError(UntrustedResultsError):
    """A locator or link came back that the walk had followed already."""


class ResultOverrunError(UntrustedResultsError, RowCountMismatchError):
    """The pages held more rows than the job processed."""


class ShortReadError(UntrustedResultsError, RowCountMismatchError):
    """The last page ended the job's results with fewer rows than the job processed."""


class ResultWalk:
    def __init__(self, job_id: str, expected_rows: int | None, *, rows_before: int = 0) -> None:
        self.job_id = job_id
        self.expected_rows = expected_rows
        self.rows = rows_before  # counted so far (from the resume point on when it was not known)
        self._followed: set[tuple[str, str]] = set()
        self._places = None if expected_rows is None else 2 * (max(expected_rows - rows_before, 0) + 1)

    def follow(self, kind: str, where: str) -> None:
        """About to follow ``where`` (a ``kind``: locator, listing, page link); a repeat is a loop."""
        if (kind, where) in self._followed:
            raise ResultLoopError(
                f"query job {self.job_id}: {kind} {where[:200]!r} came back after {self.rows} rows; "
                "following it again would loop forever",
                job_id=self.job_id,
            )
        if self._places is not None and len(self._followed) >= self._places:
            raise ResultLoopError(
                f"query job {self.job_id}: {kind} {where[:200]!r} would be place {len(self._followed) + 1} "
                f"followed for {self.rows} rows of {self.expected_rows}; the pages go on without their rows",
                job_id=self.job_id,
            )
        self._followed.add((kind, where))

    def counted(self, rows: Sequence[Row], *, last: bool) -> CountedRows:
        """``rows`` of the next page; reading them to the end counts them (and checks the totals)."""
        return CountedRows(self, rows, last=last)

    def end(self) -> None:
        """Every page has been counted: the total must be the job's."""
        if self.expected_rows is not None and self.rows != self.expected_rows:
            raise ShortReadError(
                f"query job {self.job_id}: read {self.rows} rows but the job processed {self.expected_rows}",
                job_id=self.job_id,
            )

    def _add(self, count: int, *, last: bool) -> None:
        total = self.rows + count
        if self.expected_rows is not None and total > self.expected_rows:
            raise ResultOverrunError(
                f"query job {self.job_id}: its pages hold more rows ({total} so far) than the "
                f"{self.expected_rows} the job processed",
                job_id=self.job_id,
            )
        self.rows = total
        if last:
            self.end()


class CountedRows(Sequence[Row]):
    """A page's rows that count themselves in their walk at the end of their first whole read."""

    def __init__(self, walk: ResultWalk, rows: Sequence[Row], *, last: bool) -> None:
        self._walk = walk
        self._rows = rows
        self._last = last
        self._counted = False

    def __iter__(self) -> Iterator[Row]:
        yield from self._rows
        if not self._counted:
            self._walk._add(len(self._rows), last=self._last)  # the walk's own page
            self._counted = True

    def read_through(self) -> int:
        """The page's rows, read to the end (so counted) first if no read got there yet."""
        if not self._counted:
            for _ in self:
                pass
        return len(self._rows)

    __len__ = read_through

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | Sequence[Row]:
        return self._rows[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CountedRows):
            other = other._rows
        return self._rows == other

    __hash__ = None  # type: ignore[assignment]
