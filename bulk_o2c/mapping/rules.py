"""The field rules every mapper uses: each one a pure function of a Salesforce value.

Rules this module owns:
- Salesforce CSV values are text and an empty string is null. ``required`` turns an empty value into
  MAPPING_MISSING_FIELD; optional values map to None, which the envelope does not send.
- Text cuts count UTF-16 code units, the unit NetSuite's (Java) length checks count, so a cut text is
  within the limit whichever way it is measured (a code point count is never larger). A cut lands
  on a code point and is moved back so it never separates a character from its combining marks,
  variation selectors, emoji modifiers or zero-width joiner sequence, nor splits a flag (a pair of
  regional indicators). Trailing white space left by the cut is dropped. No valid text comes out
  invalid.
- A street has at most three address lines (addr1..addr3). Lines are split on any line break, blank
  lines are dropped, and lines 4+ are appended to addr3 with ", " and a warning.
- Countries go through ``ISO_TO_SOAP_COUNTRY`` (the complete ISO 3166-1 table generated from the
  XSD); a code not in it is MAPPING_UNKNOWN_COUNTRY, never a near match. A free-text country name
  goes through ``COUNTRY_NAMES`` first (folded: case, accents and punctuation do not count); a name
  not in it is MAPPING_UNKNOWN_COUNTRY with the name, never a near match either.
- A calendar date becomes the first instant of that day in the account's time zone (midnight, or the
  end of a DST gap where a zone skips midnight), as an aware datetime. NetSuite stores date-only
  fields such as tranDate as a dateTime whose calendar date is taken in the web-services user's time
  zone (Oracle, "Datetime Fields"); UTC midnight would show the day before in every zone west of
  UTC. The envelope sends the instant as UTC (``2025-03-01T08:00:00.000Z`` for Los Angeles).
  A Salesforce datetime is the same instant, expressed in the account's time zone. Text without a
  zone is refused rather than assumed to be UTC.
- A transaction's amounts are sent in its own currency (the Order's ``CurrencyIsoCode``), never
  converted: NetSuite owns the exchange rates. A single-currency org sends no currency at all; a
  multi-currency org always sends it, so a code missing from ``mapping.currencies`` fails the
  record (MAPPING_UNKNOWN_CURRENCY) rather than letting NetSuite read the amounts in another one.
- Numbers are Salesforce's plain decimal notation, parsed as ``Decimal`` (never float, so 19.99 stays
  19.99); NaN, infinities, thousands separators and the like are MAPPING_INVALID_NUMBER.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from bulk_o2c.mapping.country_names import COUNTRY_NAMES
from bulk_o2c.mapping.name_fold import fold_name
from bulk_o2c.mapping.result import MappingErrorCode, Rejected, quoted
from bulk_o2c.mapping.salesforce_ids import to_18
from bulk_o2c.protocol.netsuite.countries import ISO_TO_SOAP_COUNTRY
from bulk_o2c.protocol.netsuite.records import RecordRef
from bulk_o2c.record_warnings import RecordWarning, WarningKind

Row = Mapping[str, str]

ADDRESS_LINES: Final = 3
CURRENCY_COLUMN: Final = "CurrencyIsoCode"  # Account and Order, in multi-currency orgs only
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ZWJ = "\u200d"


def optional(row: Row, column: str) -> str | None:
    value = row.get(column, "")
    return value if value else None


def required(row: Row, column: str) -> str:
    value = row.get(column, "")
    if not value or value.isspace():
        raise Rejected(MappingErrorCode.MISSING_FIELD, f"{column} is empty")
    return value


# --- text -------------------------------------------------------------------------------------


def _utf16_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _continues_cluster(char: str) -> bool:
    """True when ``char`` belongs to the character before it (a cut must not come just before it)."""
    if unicodedata.category(char) in ("Mn", "Me", "Mc"):  # combining marks, variation selectors
        return True
    return char == _ZWJ or 0x1F3FB <= ord(char) <= 0x1F3FF  # joiner, emoji skin-tone modifiers


def _is_regional_indicator(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _safe_cut(text: str, end: int) -> int:
    """Move ``end`` back to a boundary that keeps clusters and flags whole."""
    while 0 < end < len(text) and (_continues_cluster(text[end]) or text[end - 1] == _ZWJ):
        end -= 1
    if 0 < end < len(text) and _is_regional_indicator(text[end]):
        run = 0
        while end - run > 0 and _is_regional_indicator(text[end - run - 1]):
            run += 1
        if run % 2:  # the flag's first half would be left without its second
            end -= 1
    return end


def cut_text(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-16 code units on a character boundary."""
    if len(text) <= limit // 2:  # fast path: even all-astral text would fit
        return text
    units = 0
    for index, char in enumerate(text):
        units += _utf16_units(char)
        if units > limit:
            # A single character with more marks than the limit has no whole-cluster cut: keep
            # the code point cut then, which is still valid text.
            return text[: _safe_cut(text, index) or index].rstrip()
    return text


def cut_field(value: str, limit: int, field: str, warnings: list[RecordWarning]) -> str:
    cut = cut_text(value, limit)
    if cut != value:
        message = f"{field} cut from {len(value)} to {len(cut)} characters (NetSuite allows {limit})"
        warnings.append(RecordWarning(WarningKind.TEXT_CUT, message))
    return cut


def split_street(street: str | None, field: str, warnings: list[RecordWarning]) -> tuple[str | None, ...]:
    """(addr1, addr2, addr3) from a multi-line street."""
    lines = [line.strip() for line in (street or "").splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > ADDRESS_LINES:
        message = f"{field} had {len(lines)} lines; lines {ADDRESS_LINES + 1}+ joined into addr3"
        warnings.append(RecordWarning(WarningKind.ADDRESS_LINES_JOINED, message))
        lines[ADDRESS_LINES - 1 :] = [", ".join(lines[ADDRESS_LINES - 1 :])]
    padded: list[str | None] = [*lines, None, None, None]
    return tuple(padded[:ADDRESS_LINES])


# --- tables -----------------------------------------------------------------------------------


def soap_country(iso_code: str, field: str) -> str:
    country = ISO_TO_SOAP_COUNTRY.get(iso_code.strip().upper())
    if country is None:
        raise Rejected(
            MappingErrorCode.UNKNOWN_COUNTRY, f"{field} {quoted(iso_code)} is not an ISO 3166-1 country code"
        )
    return country


def soap_country_named(name: str, field: str) -> str:
    """The country a free-text name means, through ``COUNTRY_NAMES`` (names, aliases, codes)."""
    iso_code = COUNTRY_NAMES.get(fold_name(name))
    if iso_code is None:
        raise Rejected(
            MappingErrorCode.UNKNOWN_COUNTRY, f"{field} {quoted(name)} is not a country name the table knows"
        )
    return soap_country(iso_code, field)


def look_up(table: Mapping[str, str], value: str, field: str, code: MappingErrorCode) -> str:
    found = table.get(value)
    if found is None:
        raise Rejected(code, f"{field} {quoted(value)} is not in the mapping table")
    return found


# --- numbers and dates ------------------------------------------------------------------------


def is_number(value: str) -> bool:
    return _NUMBER.fullmatch(value.strip()) is not None


def decimal(value: str, field: str) -> Decimal:
    text = value.strip()
    if not is_number(text):
        raise Rejected(MappingErrorCode.INVALID_NUMBER, f"{field} {quoted(value)} is not a number")
    return Decimal(text)


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``zone``.

    Where a DST change skips midnight (America/Santiago, America/Havana...), the naive local midnight
    does not exist; the UTC round trip moves it to the first instant that does.
    """
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC).astimezone(zone)


def calendar_day(value: str, field: str) -> date:
    """A Salesforce date (``yyyy-MM-dd``)."""
    text = value.strip()
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        problem = f"{field} {quoted(value)} is not a yyyy-MM-dd date"
        raise Rejected(MappingErrorCode.INVALID_DATE, problem) from None


def local_datetime(value: str, field: str, zone: ZoneInfo) -> datetime:
    """A Salesforce date or datetime as an aware datetime in ``zone``."""
    text = value.strip()
    if _DATE.fullmatch(text):
        return start_of_day(calendar_day(text, field), zone)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise Rejected(
            MappingErrorCode.INVALID_DATE, f"{field} {quoted(value)} is not a date or a datetime with a zone"
        )
    return moment.astimezone(zone)


# --- ids and references -----------------------------------------------------------------------


def salesforce_id(row: Row, column: str) -> str:
    """The row's Salesforce id in 18-character form (see ``salesforce_ids``)."""
    value = required(row, column)
    id18 = to_18(value)
    if id18 is None:
        raise Rejected(MappingErrorCode.INVALID_ID, f"{column} {quoted(value)} is not a Salesforce record id")
    return id18


def transaction_currency(row: Row, currencies: Mapping[str, str], multi_currency: bool) -> RecordRef | None:
    """A transaction's currency: its row's ``CurrencyIsoCode`` in a multi-currency org, else none.

    Its amounts are in that currency and are never converted, so in a multi-currency org the
    currency must be sent: without it NetSuite would read them in the customer's currency.
    """
    if not multi_currency:
        return None
    code = required(row, CURRENCY_COLUMN)
    internal_id = currencies.get(code)
    if internal_id is None:
        problem = (
            f"CurrencyIsoCode {quoted(code)} is not in mapping.currencies; the amounts are in that "
            "currency, so it cannot be sent without it: map it to the NetSuite currency's internal id"
        )
        raise Rejected(MappingErrorCode.UNKNOWN_CURRENCY, problem)
    return RecordRef(internal_id=internal_id)


def currency_ref(row: Row, currencies: Mapping[str, str]) -> RecordRef | None:
    """The currency by internal id, or None when no currency table is configured or the row has none."""
    code = optional(row, CURRENCY_COLUMN)
    if not currencies or code is None:
        return None
    internal_id = look_up(currencies, code, CURRENCY_COLUMN, MappingErrorCode.UNKNOWN_CURRENCY)
    return RecordRef(internal_id=internal_id)
