"""Salesforce Account -> NetSuite Customer (a company, upserted by external id).

    Customer field     from                          rule
    externalId         Id                            customer prefix + 18-character id
    customForm         settings.customer_form_id     always sent
    isPerson           -                             false: an Account is a company
    companyName        Name                          required; cut to the limit, with a warning
    phone              Phone                         as is (NetSuite checks the format)
    subsidiary         settings.subsidiary_id        always sent
    currency           CurrencyIsoCode               settings.currencies, when configured
    addressbook        Billing*                      one entry, default billing and shipping:
                                                     addressee = companyName, street -> addr1..3,
                                                     country through the ISO table (required when
                                                     any address field is set), city/state/zip as is
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
    split_street,
)
from bulk_o2c.mapping.settings import MappingSettings
from bulk_o2c.protocol.netsuite.records import Address, AddressbookEntry, Customer, RecordRef
from bulk_o2c.record_warnings import RecordWarning

ACCOUNT_COLUMNS = (
    "Id",
    "Name",
    "BillingStreet",
    "BillingCity",
    "BillingState",
    "BillingPostalCode",
    "BillingCountryCode",
    "Phone",
    "CurrencyIsoCode",
)
BILLING_LABEL = "Billing"


def _billing_address(row: Row, addressee: str, warnings: list[RecordWarning]) -> tuple[AddressbookEntry, ...]:
    street = optional(row, "BillingStreet")
    city = optional(row, "BillingCity")
    state = optional(row, "BillingState")
    postal_code = optional(row, "BillingPostalCode")
    country_code = optional(row, "BillingCountryCode")
    if not any((street, city, state, postal_code, country_code)):
        return ()
    if country_code is None:
        # NetSuite would fill in a country of its own choosing: that is a guess, not a mapping.
        problem = "BillingCountryCode is empty but the billing address is not"
        raise Rejected(MappingErrorCode.MISSING_FIELD, problem)
    addr1, addr2, addr3 = split_street(street, "BillingStreet", warnings)
    address = Address(
        country=soap_country(country_code, "BillingCountryCode"),
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
    company_name = cut_field(required(row, "Name"), settings.company_name_limit, "companyName", warnings)
    return Customer(
        external_id=external_id,
        company_name=company_name,
        is_person=False,
        phone=optional(row, "Phone"),
        custom_form=RecordRef(internal_id=settings.customer_form_id),
        subsidiary=RecordRef(internal_id=settings.subsidiary_id),
        currency=currency_ref(row, settings.currencies),
        addressbook=_billing_address(row, company_name, warnings),
        custom_fields=custom_fields(settings.custom_fields_for("customer"), row, settings.zone),
    )


def map_account(row: Row, settings: MappingSettings) -> MappedRecord:
    """The Customer for one Account row, or the reason it cannot be sent."""
    return mapped(row.get("Id", ""), lambda warnings: _customer(row, settings, warnings))
