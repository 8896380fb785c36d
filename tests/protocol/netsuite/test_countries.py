from __future__ import annotations

import re

import pytest

from bulk_o2c.protocol.netsuite.countries import (
    ISO_TO_SOAP_COUNTRY,
    NON_ISO_SOAP_COUNTRY,
    SOAP_COUNTRY_ENUM,
)
from tests.support.shared_files import xsd_enumeration


def test_table_equals_the_xsd_enum() -> None:
    assert xsd_enumeration("platform.commonTypes.xsd", "Country") == SOAP_COUNTRY_ENUM


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
