from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bulk_o2c.errors import ConfigError
from bulk_o2c.protocol.salesforce.soql import DeltaWindow, HighWaterMark, select, soql_datetime

T0 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)


def test_datetime_literal_is_utc_z_whole_seconds() -> None:
    paris = timezone(timedelta(hours=1))
    assert soql_datetime(datetime(2024, 3, 1, 13, 0, 5, 999_999, tzinfo=paris)) == "2024-03-01T12:00:05Z"


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        soql_datetime(datetime(2024, 3, 1))


def test_select() -> None:
    assert select("Account", ["Id", "Name", "Owner.Email"]) == "SELECT Id, Name, Owner.Email FROM Account"
    assert select("Order__c", ["Id"], "Amount__c > 0") == "SELECT Id FROM Order__c WHERE Amount__c > 0"


@pytest.mark.parametrize(
    ("sobject", "fields"),
    [
        ("Account; DELETE", ["Id"]),
        ("Account", []),
        ("Account", ["Id", "Name FROM User"]),
        ("Account", ["Id", "id"]),
        ("Account", ["Contacts..Name"]),
    ],
)
def test_select_refuses_bad_names(sobject: str, fields: list[str]) -> None:
    with pytest.raises(ConfigError):
        select(sobject, fields)


def test_first_run_window_has_only_the_upper_bound() -> None:
    window = HighWaterMark().window(T0)
    assert window.where() == "SystemModstamp < 2024-03-01T12:00:00Z"


def test_window_subtracts_the_overlap_and_is_half_open() -> None:
    mark = HighWaterMark(T0)
    window = mark.window(T0 + timedelta(hours=1), overlap=timedelta(minutes=10))
    assert (
        window.where() == "SystemModstamp >= 2024-03-01T11:50:00Z AND SystemModstamp < 2024-03-01T13:00:00Z"
    )
    assert select("Account", ["Id"], window.where()).endswith("SystemModstamp < 2024-03-01T13:00:00Z")


def test_consecutive_windows_meet_without_a_gap() -> None:
    run1 = T0 + timedelta(microseconds=700_000)
    mark = HighWaterMark().advance_to(run1)
    first_end = mark.window(run1).where().rsplit("< ", 1)[1]
    second = mark.window(run1 + timedelta(hours=1), overlap=timedelta(0))
    assert second.where().startswith(f"SystemModstamp >= {first_end} ")


def test_cursor_field_is_configurable_and_checked() -> None:
    assert (
        HighWaterMark(T0)
        .window(T0 + timedelta(days=1), cursor_field="LastModifiedDate")
        .where()
        .startswith("LastModifiedDate >= ")
    )
    with pytest.raises(ConfigError):
        DeltaWindow(start=None, end=T0, cursor_field="x y")


def test_advance_never_moves_back() -> None:
    mark = HighWaterMark(T0)
    assert mark.advance_to(T0 - timedelta(hours=1)) is mark
    assert mark.advance_to(T0 + timedelta(hours=1)).value == T0 + timedelta(hours=1)
    assert mark.value == T0  # a value: advancing returns a new mark


def test_a_clock_far_behind_gives_an_empty_window_and_the_mark_stays() -> None:
    mark = HighWaterMark(T0)
    window = mark.window(T0 - timedelta(hours=1), overlap=timedelta(minutes=10))
    assert window.empty
    assert window.describe() == "[2024-03-01T11:50:00Z, 2024-03-01T11:00:00Z)"
    assert mark.advance_to(window.end) is mark


def test_the_same_second_without_overlap_is_empty_and_one_second_later_is_not() -> None:
    assert HighWaterMark(T0).window(T0 + timedelta(milliseconds=400), overlap=timedelta(0)).empty
    assert not HighWaterMark(T0).window(T0 + timedelta(seconds=1), overlap=timedelta(0)).empty
    assert not HighWaterMark().window(T0).empty


def test_text_round_trip_and_aware_only() -> None:
    mark = HighWaterMark(T0)
    assert HighWaterMark.from_text(mark.to_text()) == mark
    assert HighWaterMark.from_text(None) == HighWaterMark()
    with pytest.raises(ValueError, match="time zone"):
        HighWaterMark(datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="time zone"):
        HighWaterMark().advance_to(datetime(2024, 1, 1))
