import random

import pytest

from bulk_o2c.sandbox.salesforce.ids import (
    BASE62,
    MAX_COUNTER,
    checksum_suffix,
    make_id,
    parse_counter,
    to_18,
)


def reference_id(prefix: str, counter: int) -> str:
    digits = []
    for _ in range(9):
        counter, remainder = divmod(counter, 62)
        digits.append(BASE62[remainder])
    return to_18(prefix + "5g0" + "".join(reversed(digits)))


def test_checksum_matches_the_documented_example() -> None:
    # The example Salesforce's help uses for the 15 -> 18 conversion.
    assert to_18("0015000000Gv7qJ") == "0015000000Gv7qJAAR"


def test_ids_differing_only_in_case_get_different_suffixes() -> None:
    assert checksum_suffix("001500000000abc") != checksum_suffix("001500000000ABC")
    assert checksum_suffix("ABCDEABCDEABCDE") == "555"


def test_checksum_needs_fifteen_characters() -> None:
    with pytest.raises(ValueError, match="15"):
        checksum_suffix("001")


@pytest.mark.parametrize("prefix", ["001", "801", "802", "01t", "750"])
def test_table_driven_ids_equal_the_plain_algorithm(prefix: str) -> None:
    draws = random.Random(prefix)
    counters = [
        1,
        61,
        62,
        3843,
        3844,
        62**5,
        MAX_COUNTER,
        *(draws.randrange(1, MAX_COUNTER) for _ in range(2000)),
    ]
    for counter in counters:
        record_id = make_id(prefix, counter)
        assert record_id == reference_id(prefix, counter)
        assert parse_counter(record_id, prefix) == counter
        assert parse_counter(record_id[:15], prefix) == counter


def test_parse_rejects_foreign_and_corrupt_ids() -> None:
    record_id = make_id("001", 12345)
    assert parse_counter(record_id, "801") is None
    assert parse_counter(record_id[:17] + ("A" if record_id[17] != "A" else "B"), "001") is None
    assert parse_counter(record_id[:10], "001") is None
    assert parse_counter("0015g0000000000AAA", "001") is None


@pytest.mark.parametrize("counter", [0, MAX_COUNTER + 1])
def test_counter_out_of_range(counter: int) -> None:
    with pytest.raises(ValueError, match="range"):
        make_id("001", counter)
