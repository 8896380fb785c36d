"""The rows of a query job, walked by slot: pages, and pages measured ahead by a listing."""

from __future__ import annotations

from bulk_o2c.sandbox.salesforce import result_set
from bulk_o2c.sandbox.salesforce.dataset import Dataset
from bulk_o2c.sandbox.salesforce.result_set import ResultSet
from bulk_o2c.sandbox.salesforce.soql import parse_soql
from bulk_o2c.sandbox.salesforce.writes import WriteOverlay
from tests.sandbox.salesforce.conftest import SMALL_DATASET

# A window, so the walk tests every slot's SystemModstamp rather than counting a dense range.
SOQL = "SELECT Id FROM Account WHERE SystemModstamp >= 2024-03-01T00:00:00Z"


def _results() -> ResultSet:
    return ResultSet(Dataset(SMALL_DATASET), parse_soql(SOQL), WriteOverlay())


def _pages(results: ResultSet, size: int) -> list[list[int]]:
    pages: list[list[int]] = []
    start: int | None = 0
    while start is not None:
        slots, start = results.page(start, size)
        pages.append(slots)
    return pages


def test_a_listing_measures_the_pages_a_download_then_serves() -> None:
    fresh = _pages(_results(), 40)
    listed = _results()
    starts: list[int] = []
    start: int | None = 0
    while start is not None:
        starts.append(start)
        start = listed.measure(start, 40)
    assert len(starts) == len(fresh) > 3
    assert [listed.page(s, 40)[0] for s in starts] == fresh
    # Served once, a measured page is not kept: asking again walks the slots again, to the same rows.
    assert listed.page(starts[1], 40)[0] == fresh[1]


def test_measured_pages_never_downloaded_are_not_kept_without_bound() -> None:
    results = _results()
    start: int | None = 0
    measured = 0
    while start is not None:
        start = results.measure(start, 5)
        measured += 1
    assert measured > result_set.MEASURED_PAGES_KEPT
    assert len(results._measured) == result_set.MEASURED_PAGES_KEPT
