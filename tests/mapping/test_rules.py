"""The shared field rules, checked on the edge cases the record tests do not reach."""

from __future__ import annotations

import pytest

from bulk_o2c.mapping.result import QUOTED_VALUE_MAX, MappingErrorCode, Rejected, quoted
from bulk_o2c.mapping.rules import cut_text, decimal, local_datetime
from bulk_o2c.mapping.settings import MappingSettings

ZONE = MappingSettings().zone


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_a_cut_counts_utf16_units_so_astral_characters_count_twice() -> None:
    text = "A" * 80 + "🚀🚀🚀"
    cut = cut_text(text, 83)
    assert cut == "A" * 80 + "🚀"  # 82 units; a second rocket would make 84
    assert utf16_units(cut) <= 83


def test_a_cut_keeps_a_character_with_its_combining_marks() -> None:
    text = "A" * 82 + "e\u0301\u0301xyz"  # the cut at 83 would fall between the e and its accents
    assert cut_text(text, 83) == "A" * 82


def test_a_cut_never_splits_a_joiner_sequence_or_a_modifier() -> None:
    family = "👩\u200d👩\u200d👧"
    assert cut_text("A" * 80 + family, 83) == "A" * 80
    waving = "👋🏽"
    assert cut_text("A" * 81 + waving, 83) == "A" * 81


@pytest.mark.parametrize(("prefix", "kept"), [(75, "🇫🇷🇩🇪"), (77, "🇫🇷")])
def test_a_cut_never_splits_a_flag(prefix: int, kept: str) -> None:
    text = "A" * prefix + "🇫🇷🇩🇪🇮🇹"  # each flag: two regional indicators, four UTF-16 units
    assert cut_text(text, 83) == "A" * prefix + kept


def test_a_cut_drops_the_trailing_space_it_leaves() -> None:
    assert cut_text("A" * 82 + " B", 83) == "A" * 82


def test_a_text_of_marks_only_is_still_cut_to_valid_text() -> None:
    text = "e" + "\u0301" * 200
    assert cut_text(text, 83) == text[:83]  # no whole-cluster cut exists: cut on the code point


def test_a_text_within_the_limit_is_returned_as_is() -> None:
    text = "🚀" * 41 + "A"
    assert cut_text(text, 83) is text


def test_quoted_escapes_and_bounds_a_value() -> None:
    assert quoted("a\nb") == "'a\\nb'"
    long = "x" * 1000
    assert quoted(long) == f"{'x' * QUOTED_VALUE_MAX!r}... (1000 characters)"


@pytest.mark.parametrize("text", ["1", "-2.50", "+3.", ".5", "1e3", "1E-2", " 7 "])
def test_plain_decimal_notation_is_a_number(text: str) -> None:
    assert str(decimal(text, "F")) == str(decimal(text.strip(), "F"))


@pytest.mark.parametrize("text", ["", "1_000", "1,000", "NaN", "-Infinity", "0x10", "١٢", "1 000"])
def test_anything_else_is_not_a_number(text: str) -> None:
    with pytest.raises(Rejected) as caught:
        decimal(text, "F")
    assert caught.value.failure.code == MappingErrorCode.INVALID_NUMBER


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-12-10T17:50:19.000+0000", "2018-12-10T09:50:19-08:00"),
        ("2018-12-10T17:50:19.000Z", "2018-12-10T09:50:19-08:00"),
        ("2018-07-10T17:50:19+02:00", "2018-07-10T08:50:19-07:00"),
        ("2018-07-10", "2018-07-10T00:00:00-07:00"),
    ],
)
def test_salesforce_datetimes_land_in_the_account_zone(text: str, expected: str) -> None:
    assert local_datetime(text, "F", ZONE).isoformat() == expected


def test_a_datetime_without_zone_is_refused_not_assumed_utc() -> None:
    with pytest.raises(Rejected) as caught:
        local_datetime("2018-12-10T17:50:19", "F", ZONE)
    assert caught.value.failure.code == MappingErrorCode.INVALID_DATE
