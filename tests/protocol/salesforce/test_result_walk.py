"""The result walk: loops, overruns and short reads, found while a page is read."""

from __future__ import annotations

import pytest

from bulk_o2c.protocol.salesforce.result_walk import (
    ResultLoopError,
    ResultOverrunError,
    ResultWalk,
    ShortReadError,
)

PAGE = [["a"], ["b"]]


def test_a_place_followed_twice_is_a_loop_whatever_came_between() -> None:
    walk = ResultWalk("750X", None)
    walk.follow("locator", "L2")
    walk.follow("locator", "L3")
    walk.follow("page link", "L2")  # another kind of place is another place
    with pytest.raises(ResultLoopError, match="locator 'L2' came back") as caught:
        walk.follow("locator", "L2")
    assert caught.value.job_id == "750X"


def test_pages_count_once_when_read_to_the_end() -> None:
    walk = ResultWalk("750X", 4)
    first = walk.counted(PAGE, last=False)
    assert walk.rows == 0
    assert list(first) == PAGE
    assert list(first) == PAGE  # a second read counts nothing more
    assert walk.rows == 2
    last = walk.counted(PAGE, last=True)
    assert len(last) == 2
    assert walk.rows == 4
    walk.end()


def test_the_last_page_short_of_the_total_raises_at_the_end_of_its_read() -> None:
    walk = ResultWalk("750X", 5)
    list(walk.counted(PAGE, last=False))
    rows = iter(walk.counted(PAGE, last=True))
    assert next(rows) == ["a"]
    assert next(rows) == ["b"]
    with pytest.raises(ShortReadError, match="read 4 rows but the job processed 5"):
        next(rows)
    assert walk.rows == 4


def test_rows_past_the_total_raise_whether_the_page_is_the_last_or_not() -> None:
    walk = ResultWalk("750X", 3)
    list(walk.counted(PAGE, last=False))
    with pytest.raises(ResultOverrunError, match="4 so far"):
        list(walk.counted(PAGE, last=False))
    assert walk.rows == 2  # the refused page is not counted


def test_a_resumed_walk_counts_from_the_rows_before_it() -> None:
    walk = ResultWalk("750X", 6, rows_before=4)
    list(walk.counted(PAGE, last=True))
    assert walk.rows == 6


def test_without_a_total_only_loops_are_found() -> None:
    walk = ResultWalk("750X", None)
    list(walk.counted(PAGE * 10, last=True))
    walk.end()
    assert walk.rows == 20


def test_a_walk_without_pages_must_have_expected_none() -> None:
    ResultWalk("750X", 0).end()
    with pytest.raises(ShortReadError):
        ResultWalk("750X", 1).end()


def test_fresh_places_past_two_per_row_are_a_loop_though_none_repeats() -> None:
    # Empty pages, each with a new locator: no repeat and no row count would ever end the walk.
    walk = ResultWalk("750X", 1)
    for n in range(4):  # a page link and a listing per row, and for one empty page
        walk.follow("locator", f"L{n}")
        list(walk.counted([], last=False))
    with pytest.raises(ResultLoopError, match="place 5 followed for 0 rows of 1"):
        walk.follow("locator", "L4")


def test_a_resumed_walk_may_follow_two_places_per_row_still_to_read() -> None:
    walk = ResultWalk("750X", 3, rows_before=2)
    for n in range(4):
        walk.follow("result page link", f"P{n}")
    with pytest.raises(ResultLoopError):
        walk.follow("result page link", "P4")
