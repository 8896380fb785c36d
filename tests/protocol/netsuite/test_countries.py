from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from bulk_o2c.protocol.netsuite.countries import (
    ISO_TO_SOAP_COUNTRY,
    NON_ISO_SOAP_COUNTRY,
    SOAP_COUNTRY_ENUM,
)

COMMON_TYPES_XSD = (
    Path(__file__).resolve().parents[3]
    / ".."
    / "shared"
    / "netsuite-wsdl-2023_2"
    / "xsd"
    / "platform.commonTypes.xsd"
)


def xsd_country_enum() -> set[str]:
    if not COMMON_TYPES_XSD.is_file():
        pytest.skip(f"NetSuite XSDs not present at {COMMON_TYPES_XSD} (only on the build machine)")
    xs = "{http://www.w3.org/2001/XMLSchema}"
    tree = etree.parse(str(COMMON_TYPES_XSD))
    (country,) = (t for t in tree.iter(f"{xs}simpleType") if t.get("name") == "Country")
    return {str(e.get("value")) for e in country.iter(f"{xs}enumeration")}


def test_table_equals_the_xsd_enum() -> None:
    assert xsd_country_enum() == SOAP_COUNTRY_ENUM


def test_every_enum_value_is_mapped_once_either_iso_or_explicitly_non_iso() -> None:
    mapped = [*ISO_TO_SOAP_COUNTRY.values(), *NON_ISO_SOAP_COUNTRY.values()]
    assert len(mapped) == len(set(mapped))
    assert set(mapped) == SOAP_COUNTRY_ENUM


def test_keys_are_alpha2_codes_and_iso_and_non_iso_do_not_overlap() -> None:
    for code in [*ISO_TO_SOAP_COUNTRY, *NON_ISO_SOAP_COUNTRY]:
        assert re.fullmatch(r"[A-Z]{2}", code), code
    assert not set(ISO_TO_SOAP_COUNTRY) & set(NON_ISO_SOAP_COUNTRY)


def test_all_officially_assigned_iso_codes_are_present() -> None:
    # ISO 3166-1 has 249 officially assigned alpha-2 codes.
    assert len(ISO_TO_SOAP_COUNTRY) == 249


@pytest.mark.parametrize(
    ("iso", "soap"),
    [
        ("US", "_unitedStates"),
        ("GB", "_unitedKingdom"),
        ("DE", "_germany"),
        ("KR", "_koreaTheRepublicOf"),
        ("KP", "_koreaTheDemocraticPeoplesRepublicOf"),
        ("CD", "_congoTheDemocraticRepublicOfThe"),
        ("CG", "_congo"),
        ("VG", "_virginIslandsBritish"),
        ("VI", "_virginIslandsUS"),
        ("VA", "_holySee"),
        ("AX", "_alandIslands"),
        ("TR", "_turkiye"),
        ("WF", "_wallisAndFutunaIslands"),
    ],
)
def test_known_codes(iso: str, soap: str) -> None:
    assert ISO_TO_SOAP_COUNTRY[iso] == soap


def test_non_iso_values_are_listed_explicitly() -> None:
    assert dict(NON_ISO_SOAP_COUNTRY) == {
        "IC": "_canaryIslands",
        "EA": "_ceutaAndMelilla",
        "XK": "_kosovo",
    }


def test_tables_are_read_only() -> None:
    with pytest.raises(TypeError):
        ISO_TO_SOAP_COUNTRY["ZZ"] = "_nowhere"  # type: ignore[index]
