"""The free-text country table: complete for ISO codes, folded, and never a near match."""

from __future__ import annotations

import pytest

from bulk_o2c.mapping.country_names import COUNTRY_NAMES
from bulk_o2c.mapping.name_fold import fold_name
from bulk_o2c.protocol.netsuite.countries import ISO_TO_SOAP_COUNTRY


def test_every_iso_code_resolves_to_itself_and_every_entry_to_a_netsuite_country() -> None:
    for code in ISO_TO_SOAP_COUNTRY:
        assert COUNTRY_NAMES[fold_name(code)] == code
    assert set(COUNTRY_NAMES.values()) <= set(ISO_TO_SOAP_COUNTRY)


@pytest.mark.parametrize(
    ("spellings", "code"),
    [
        (("U.S.", "u.s", "US", "usa", "U.S.A.", "United States of America"), "US"),
        (("UK", "U.K.", "Great Britain", "GBR", "united kingdom"), "GB"),
        (("Österreich", "OSTERREICH", "osterreich", "AUT"), "AT"),
        (("Bosnia & Herzegovina", "Bosnia and Herzegovina"), "BA"),
        (("The Netherlands", "Netherlands", "Holland", "NLD"), "NL"),
    ],
)
def test_spellings_fold_alike(spellings: tuple[str, ...], code: str) -> None:
    assert {COUNTRY_NAMES.get(fold_name(s)) for s in spellings} == {code}


@pytest.mark.parametrize("unknown", ["Germny", "Atlantis", "", "United", "X", "EU"])
def test_a_name_not_in_the_table_is_not_guessed_at(unknown: str) -> None:
    assert fold_name(unknown) not in COUNTRY_NAMES
