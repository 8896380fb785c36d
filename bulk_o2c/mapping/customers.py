"""Salesforce Account -> NetSuite Customer (upserted by external id).

    Customer field     from                          rule
    externalId         Id                            customer prefix + 18-character id
    customForm         settings.customer_form_id     always sent
    isPerson           IsPersonAccount               true for a person account (an org that has
                                                     them), else false: a company
    firstName          FirstName                     a person account's, as is
    lastName           LastName                      a person account's; required
    companyName        Name                          a company's; required; cut to the limit, with
                                                     a warning (a person's Name is the addressee)
    phone              Phone                         as is (NetSuite checks the format)
    subsidiary         settings.subsidiary_id        always sent
    currency           CurrencyIsoCode               settings.currencies, when configured
    addressbook        Billing*                      one entry, default billing and shipping:
                                                     addressee = Name, street -> addr1..3,
                                                     country (required when any address field is
                                                     set): BillingCountryCode through the ISO table
                                                     or, in an org without country picklists,
                                                     BillingCountry through the country name table;
                                                     city/state/zip as is
    customFieldList    settings.custom_fields        the ``customer`` entries

The address is sent only when the Account has one; an Account without any billing field keeps
whatever addresses NetSuite has. Website has no field on the typed Customer record and is not sent.
"""

from __future__ import annotations

from bulk_o2c.mapping.custom_fields import custom_fields
from bulk_o2c.mapping.result import MappedRecord, MappingErrorCode, Rejected, mapped
from bulk_o2c.mapping.rules import (
    Row,
    currency_ref,
    cut_field,
    optional,
    required,
    salesforce_id,
    soap_country,
    soap_country_named,
    split_street,
)
from bulk_o2c.mapping.settings import MappingSettings
from bulk_o2c.protocol.netsuite.records import Address, AddressbookEntry, Customer, RecordRef
from bulk_o2c.record_warnings import RecordWarning

# Every org has these (read access granted); the columns below exist only in some orgs.
ACCOUNT_COLUMNS = ("Id", "Name", "BillingStreet", "BillingCity", "BillingState", "BillingPostalCode", "Phone")
COUNTRY_CODE_COLUMN = "BillingCountryCode"  # only with State and Country/Territory Picklists
COUNTRY_NAME_COLUMN = "BillingCountry"  # free text without them
PERSON_ACCOUNT_COLUMNS = ("IsPersonAccount", "FirstName", "LastName")  # only with person accounts
BILLING_LABEL = "Billing"


def _billing_address(row: Row, addressee: str, warnings: list[RecordWarning]) -> tuple[AddressbookEntry, ...]:
    street = optional(row, "BillingStreet")
    city = optional(row, "BillingCity")
    state = optional(row, "BillingState")
    postal_code = optional(row, "BillingPostalCode")
    # The extraction selected the code where the org has country picklists, the free text otherwise.
    by_code = COUNTRY_CODE_COLUMN in row
    country_column = COUNTRY_CODE_COLUMN if by_code else COUNTRY_NAME_COLUMN
    country = optional(row, country_column)
    if not any((street, city, state, postal_code, country)):
        return ()
    if country is None:
        # NetSuite would fill in a country of its own choosing: that is a guess, not a mapping.
        problem = f"{country_column} is empty but the billing address is not"
        raise Rejected(MappingErrorCode.MISSING_FIELD, problem)
    addr1, addr2, addr3 = split_street(street, "BillingStreet", warnings)
    address = Address(
        country=soap_country(country, country_column)
        if by_code
        else soap_country_named(country, country_column),
        addressee=addressee,
        addr1=addr1,
        addr2=addr2,
        addr3=addr3,
        city=city,
        state=state,
        zip=postal_code,
    )
    return (AddressbookEntry(address, default_shipping=True, default_billing=True, label=BILLING_LABEL),)


def _customer(row: Row, settings: MappingSettings, warnings: list[RecordWarning]) -> Customer:
    external_id = settings.customer_external_id_prefix + salesforce_id(row, "Id")
    name = cut_field(required(row, "Name"), settings.company_name_limit, "companyName", warnings)
    # Only an org with person accounts has the column (the extraction selects it then).
    is_person = row.get("IsPersonAccount", "") == "true"
    return Customer(
        external_id=external_id,
        company_name=None if is_person else name,
        is_person=is_person,
        first_name=optional(row, "FirstName") if is_person else None,
        last_name=required(row, "LastName") if is_person else None,
        phone=optional(row, "Phone"),
        custom_form=RecordRef(internal_id=settings.customer_form_id),
        subsidiary=RecordRef(internal_id=settings.subsidiary_id),
        currency=currency_ref(row, settings.currencies),
        addressbook=_billing_address(row, name, warnings),
        custom_fields=custom_fields(settings.custom_fields_for("customer"), row, settings.zone),
    )


def map_account(row: Row, settings: MappingSettings) -> MappedRecord:
    """The Customer for one Account row, or the reason it cannot be sent."""
    return mapped(row.get("Id", ""), lambda warnings: _customer(row, settings, warnings))
