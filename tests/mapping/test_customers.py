"""One test per Account -> Customer rule."""

from __future__ import annotations

import pytest

from bulk_o2c.mapping import MappedRecord, MappingErrorCode, MappingSettings, map_account
from bulk_o2c.protocol.netsuite.countries import ISO_TO_SOAP_COUNTRY, NON_ISO_SOAP_COUNTRY
from bulk_o2c.protocol.netsuite.records import Address, Customer, RecordRef
from bulk_o2c.record_warnings import RecordWarning, WarningKind

SETTINGS = MappingSettings()


def customer_of(result: MappedRecord) -> Customer:
    assert result.failure is None, result.failure
    assert isinstance(result.record, Customer)
    return result.record


def address_of(result: MappedRecord) -> Address:
    (entry,) = customer_of(result).addressbook
    return entry.address


def failure_code(result: MappedRecord) -> MappingErrorCode:
    assert result.record is None
    assert result.failure is not None
    return result.failure.code


def test_external_id_is_the_prefix_and_the_18_character_id(account: dict[str, str]) -> None:
    account["Id"] = "001A0000006Vm9r"  # the 15-character form of the same record
    result = map_account(account, SETTINGS)
    assert customer_of(result).external_id == "SF_ACCT_001A0000006Vm9rIAC"
    assert result.sf_id == "001A0000006Vm9r"


def test_external_id_prefix_comes_from_the_settings(account: dict[str, str]) -> None:
    settings = MappingSettings(customer_external_id_prefix="CRM-A-")
    assert customer_of(map_account(account, settings)).external_id == "CRM-A-001A0000006Vm9rIAC"


@pytest.mark.parametrize(
    "bad_id", ["001A0000006Vm9rIAX", "001a0000006vm9riac", "001A0000006Vm9", "001A0000006Vm9r!AC"]
)
def test_an_id_that_is_not_a_salesforce_id_is_refused(account: dict[str, str], bad_id: str) -> None:
    account["Id"] = bad_id
    result = map_account(account, SETTINGS)
    assert failure_code(result) == MappingErrorCode.INVALID_ID
    assert result.sf_id == bad_id


def test_company_name_is_cut_to_83_characters_with_a_warning(account: dict[str, str]) -> None:
    account["Name"] = (
        "Global Widgets and Sprockets International Holding Company of the Pacific Northwest Region, LLC"
    )
    result = map_account(account, SETTINGS)
    name = customer_of(result).company_name
    assert name == account["Name"][:83].rstrip()
    assert result.warnings == (
        RecordWarning(
            WarningKind.TEXT_CUT,
            f"companyName cut from {len(account['Name'])} to {len(name or '')} characters "
            "(NetSuite allows 83)",
        ),
    )


def test_a_name_within_the_limit_is_sent_unchanged_without_warning(account: dict[str, str]) -> None:
    account["Name"] = "Ä" * 83
    result = map_account(account, SETTINGS)
    assert customer_of(result).company_name == "Ä" * 83
    assert result.warnings == ()


def test_an_empty_name_is_a_missing_field(account: dict[str, str]) -> None:
    account["Name"] = "   "
    result = map_account(account, SETTINGS)
    assert failure_code(result) == MappingErrorCode.MISSING_FIELD
    assert result.failure is not None
    assert "Name" in result.failure.message


@pytest.mark.parametrize(
    ("street", "lines"),
    [
        ("1 Main St", ("1 Main St", None, None)),
        ("1 Main St\nSuite 200", ("1 Main St", "Suite 200", None)),
        ("1 Main St\r\nSuite 200\r\nBuilding C", ("1 Main St", "Suite 200", "Building C")),
        ("\n 1 Main St \n\n Suite 200\n", ("1 Main St", "Suite 200", None)),
    ],
)
def test_billing_street_is_split_into_addr1_to_addr3(
    account: dict[str, str], street: str, lines: tuple[str | None, ...]
) -> None:
    account["BillingStreet"] = street
    result = map_account(account, SETTINGS)
    address = address_of(result)
    assert (address.addr1, address.addr2, address.addr3) == lines
    assert result.warnings == ()


def test_street_lines_past_the_third_are_joined_into_addr3_with_a_warning(account: dict[str, str]) -> None:
    account["BillingStreet"] = "c/o Finance\n1 Main St\nSuite 200\nBuilding C\nDock 4"
    result = map_account(account, SETTINGS)
    address = address_of(result)
    assert (address.addr1, address.addr2, address.addr3) == (
        "c/o Finance",
        "1 Main St",
        "Suite 200, Building C, Dock 4",
    )
    assert result.warnings == (
        RecordWarning(
            WarningKind.ADDRESS_LINES_JOINED, "BillingStreet had 5 lines; lines 4+ joined into addr3"
        ),
    )


def test_the_rest_of_the_billing_address(account: dict[str, str]) -> None:
    result = map_account(account, SETTINGS)
    (entry,) = customer_of(result).addressbook
    assert entry.default_billing is True
    assert entry.default_shipping is True
    assert entry.address == Address(
        country="_unitedStates",
        addressee="Acme Corp",
        addr1="1 Main St",
        city="Austin",
        state="TX",
        zip="78701",
    )


def test_every_iso_country_maps_to_its_soap_enum_value(account: dict[str, str]) -> None:
    mapped = {}
    for iso_code in ISO_TO_SOAP_COUNTRY:
        account["BillingCountryCode"] = iso_code
        mapped[iso_code] = address_of(map_account(account, SETTINGS)).country
    assert mapped == dict(ISO_TO_SOAP_COUNTRY)
    assert len(mapped) == 249  # every officially assigned ISO 3166-1 code


def test_country_codes_are_matched_without_regard_to_case_or_spaces(account: dict[str, str]) -> None:
    account["BillingCountryCode"] = " gb "
    assert address_of(map_account(account, SETTINGS)).country == "_unitedKingdom"


@pytest.mark.parametrize("code", ["XX", "UK", "USA", "U", *NON_ISO_SOAP_COUNTRY])
def test_an_unknown_country_is_a_per_record_error_not_a_guess(account: dict[str, str], code: str) -> None:
    account["BillingCountryCode"] = code
    result = map_account(account, SETTINGS)
    assert failure_code(result) == MappingErrorCode.UNKNOWN_COUNTRY
    assert result.failure is not None
    assert repr(code) in result.failure.message


def test_an_address_without_a_country_is_an_error(account: dict[str, str]) -> None:
    account["BillingCountryCode"] = ""
    result = map_account(account, SETTINGS)
    assert failure_code(result) == MappingErrorCode.MISSING_FIELD
    assert result.failure is not None
    assert "BillingCountryCode" in result.failure.message


def test_an_account_without_address_sends_no_addressbook(account: dict[str, str]) -> None:
    for column in ("BillingStreet", "BillingCity", "BillingState", "BillingPostalCode", "BillingCountryCode"):
        account[column] = ""
    assert customer_of(map_account(account, SETTINGS)).addressbook == ()


def test_default_subsidiary_and_customer_form_are_always_sent(account: dict[str, str]) -> None:
    settings = MappingSettings(subsidiary_id="7", customer_form_id="-2")
    customer = customer_of(map_account(account, settings))
    assert customer.subsidiary == RecordRef(internal_id="7")
    assert customer.custom_form == RecordRef(internal_id="-2")
    assert customer.is_person is False


def test_currency_is_not_sent_without_a_currency_table(account: dict[str, str]) -> None:
    assert customer_of(map_account(account, SETTINGS)).currency is None


def test_currency_goes_through_the_currency_table(account: dict[str, str]) -> None:
    settings = MappingSettings(currencies={"USD": "1", "EUR": "4"})
    account["CurrencyIsoCode"] = "EUR"
    assert customer_of(map_account(account, settings)).currency == RecordRef(internal_id="4")
    account["CurrencyIsoCode"] = "JPY"
    assert failure_code(map_account(account, settings)) == MappingErrorCode.UNKNOWN_CURRENCY


HOSTILE = [
    "<script>alert(1)</script>",
    "Acme ]]> & <![CDATA[ Co",
    "Robert'); DROP TABLE staged;--",
    "\u202eevil\u202c \x1b[31mred\x1b[0m",
    '=HYPERLINK("http://x")',
    "Zoë 🚀 Ünïcödé",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_pass_through_as_values(account: dict[str, str], value: str) -> None:
    account["Name"] = value
    account["BillingCity"] = value
    account["Phone"] = value
    customer = customer_of(map_account(account, SETTINGS))
    assert customer.company_name == value
    assert customer.phone == value
    assert customer.addressbook[0].address.city == value


def test_a_hostile_value_cannot_break_the_failure_message(account: dict[str, str]) -> None:
    value = "X\n2025-01-01 INFO forged log line\x1b[2J\u202e" + "A" * 500
    account["BillingCountryCode"] = value
    result = map_account(account, SETTINGS)
    assert result.failure is not None
    message = result.failure.message
    assert message.isprintable()  # no line break, escape or bidi control survives
    assert len(message) < 200
    assert f"({len(value)} characters)" in message


def _free_text(account: dict[str, str], country: str) -> dict[str, str]:
    """The row an org without country picklists gives: BillingCountry, no BillingCountryCode."""
    row = {k: v for k, v in account.items() if k != "BillingCountryCode"}
    row["BillingCountry"] = country
    return row


@pytest.mark.parametrize(
    ("text", "soap"),
    [
        ("United States", "_unitedStates"),
        ("USA", "_unitedStates"),
        ("U.S.", "_unitedStates"),
        ("us", "_unitedStates"),
        ("Deutschland", "_germany"),
        ("DEU", "_germany"),
        ("  côte d\u2019ivoire ", "_coteDIvoire"),  # a typographic apostrophe
        ("ESPAÑA", "_spain"),
        ("St. Lucia", "_saintLucia"),
        ("Korea, Republic of", "_koreaTheRepublicOf"),
        ("South Korea", "_koreaTheRepublicOf"),
    ],
)
def test_without_country_picklists_the_country_comes_from_the_free_text_name(
    account: dict[str, str], text: str, soap: str
) -> None:
    assert address_of(map_account(_free_text(account, text), SETTINGS)).country == soap


def test_a_free_text_country_the_table_cannot_resolve_is_refused_with_its_value(
    account: dict[str, str],
) -> None:
    result = map_account(_free_text(account, "Germny"), SETTINGS)
    assert failure_code(result) == MappingErrorCode.UNKNOWN_COUNTRY
    assert result.failure is not None
    assert result.failure.message == "BillingCountry 'Germny' is not a country name the table knows"


def test_an_empty_free_text_country_beside_an_address_is_missing(account: dict[str, str]) -> None:
    result = map_account(_free_text(account, ""), SETTINGS)
    assert failure_code(result) == MappingErrorCode.MISSING_FIELD
    assert result.failure is not None
    assert "BillingCountry is empty" in result.failure.message


def test_a_person_account_becomes_an_individual_with_first_and_last_name(account: dict[str, str]) -> None:
    account.update(IsPersonAccount="true", FirstName="María", LastName="García", Name="María García")
    customer = customer_of(map_account(account, SETTINGS))
    assert (customer.is_person, customer.first_name, customer.last_name, customer.company_name) == (
        True,
        "María",
        "García",
        None,
    )
    assert customer.addressbook[0].address.addressee == "María García"


def test_a_business_account_in_a_person_account_org_stays_a_company(account: dict[str, str]) -> None:
    account.update(IsPersonAccount="false", FirstName="", LastName="")
    customer = customer_of(map_account(account, SETTINGS))
    assert (customer.is_person, customer.first_name, customer.last_name, customer.company_name) == (
        False,
        None,
        None,
        "Acme Corp",
    )


def test_a_person_account_without_a_last_name_is_missing_it(account: dict[str, str]) -> None:
    account.update(IsPersonAccount="true", FirstName="Cher", LastName="")
    assert failure_code(map_account(account, SETTINGS)) == MappingErrorCode.MISSING_FIELD
