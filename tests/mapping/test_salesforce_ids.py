from __future__ import annotations

import pytest

from bulk_o2c.mapping.salesforce_ids import to_18


@pytest.mark.parametrize(
    ("id15", "id18"),
    [
        ("001A0000006Vm9r", "001A0000006Vm9rIAC"),  # the example Salesforce's own help uses
        ("001000000000000", "001000000000000AAA"),
        ("ABCDEABCDEABCDE", "ABCDEABCDEABCDE555"),
        ("aBcDeaBcDeaBcDe", "aBcDeaBcDeaBcDeKKK"),
    ],
)
def test_a_15_character_id_gets_its_checksum_suffix(id15: str, id18: str) -> None:
    assert to_18(id15) == id18
    assert to_18(id18) == id18


def test_ids_that_differ_only_in_case_stay_distinct_when_case_is_ignored() -> None:
    upper, lower = to_18("001A0000006VM9R"), to_18("001A0000006Vm9r")
    assert upper is not None
    assert lower is not None
    assert upper.lower() != lower.lower()


@pytest.mark.parametrize(
    "value",
    [
        "",
        "001A0000006Vm9",
        "001A0000006Vm9rI",
        "001A0000006Vm9rIACX",
        "001A0000006Vm9rIAD",
        "001A0000006VM9RIAC",
        "001A0000006Vm9rIac",
        "001A0000006Vm9-",
        "001A0000006Vm9é",
    ],
)
def test_anything_else_is_not_a_salesforce_id(value: str) -> None:
    assert to_18(value) is None
