from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from lxml import etree

from bulk_o2c.protocol.netsuite.xml_text import escape_attribute, escape_text, remove_forbidden

FORBIDDEN = [
    *(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"),
    "\ud800",
    "\udbff",
    "\udc00",
    "\udfff",
    "\ufffe",
    "\uffff",
]
ALLOWED_ODDITIES = [
    "\t",
    "\n",
    "\r",
    "\x7f",
    "\x85",
    "\x9f",
    "\xa0",
    "\u2028",
    "\ufffd",
    "\U0001f600",
    "\U0010ffff",
]
HOSTILE = [
    "]]></x><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>&e;",
    "\"quoted\" and 'single'",
    "a & b < c > d",
    "&amp; is already escaped &#38; &lt;",
    "<![CDATA[ x ]]>",
    '"/><platformMsgs:record xsi:type="listRel:Customer" externalId="evil">',
]


def parse_text(escaped: str) -> str:
    return etree.fromstring(f"<a>{escaped}</a>".encode()).text or ""


def parse_attribute(escaped: str) -> str:
    return str(etree.fromstring(f'<a b="{escaped}"/>'.encode()).get("b"))


@pytest.mark.parametrize("escape", [escape_text, escape_attribute])
def test_clean_value_is_returned_unchanged(escape: Callable[[str], tuple[str, str]]) -> None:
    value = "Acme Corp, Straße 5 \u2013 東京 😀"
    assert escape(value) == (value, "")


@pytest.mark.parametrize("char", FORBIDDEN, ids=lambda c: f"U+{ord(c):04X}")
def test_forbidden_characters_are_removed_and_reported(char: str) -> None:
    value = f"ab{char}c{char}"
    assert remove_forbidden(value) == ("abc", char * 2)
    assert escape_text(value) == ("abc", char * 2)
    assert escape_attribute(value) == ("abc", char * 2)


@pytest.mark.parametrize("char", ALLOWED_ODDITIES, ids=lambda c: f"U+{ord(c):04X}")
def test_legal_characters_survive_a_round_trip(char: str) -> None:
    value = f"x{char}y"
    text, removed = escape_text(value)
    assert removed == ""
    assert parse_text(text) == value
    attribute, removed = escape_attribute(value)
    assert removed == ""
    assert parse_attribute(attribute) == value


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_come_out_as_inert_text(value: str) -> None:
    text, _ = escape_text(value)
    attribute, _ = escape_attribute(value)
    assert "<" not in text
    assert "<" not in attribute
    assert '"' not in attribute
    assert parse_text(text) == value
    assert parse_attribute(attribute) == value
    # Exactly one element: nothing the value carried became markup.
    assert len(etree.fromstring(f'<a b="{attribute}">{text}</a>'.encode())) == 0


def test_random_strings_round_trip_minus_forbidden_characters() -> None:
    rng = random.Random(20250301)
    pool = [*FORBIDDEN, *ALLOWED_ODDITIES, "&", "<", ">", '"', "'", "]", "a", "Z", " ", "é"]
    for _ in range(500):
        value = "".join(rng.choice(pool) for _ in range(rng.randint(0, 12)))
        expected_removed = "".join(c for c in value if c in FORBIDDEN)
        expected = "".join(c for c in value if c not in FORBIDDEN)
        text, removed = escape_text(value)
        assert removed == expected_removed
        assert parse_text(text) == expected
        attribute, removed = escape_attribute(value)
        assert removed == expected_removed
        assert parse_attribute(attribute) == expected
