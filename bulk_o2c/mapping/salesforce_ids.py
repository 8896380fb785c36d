"""Salesforce record ids in their 18-character, case-insensitive-safe form.

Rules this module owns:
- External ids are built from the 18-character id only. NetSuite compares external ids without
  regard to case, and two 15-character ids may differ only in case; the 3-character suffix encodes
  the case of the 15, so 18-character ids stay distinct when case is ignored.
- A 15-character id is converted with Salesforce's checksum: for each 5-character block, bit i is set
  when character i is an upper-case letter, and the 5-bit number picks a character of
  ``A..Z0..5``. An 18-character id whose suffix does not match its first 15 characters is refused:
  its case was altered on the way (a spreadsheet, a case-folding tool), and guessing would send it
  to the wrong NetSuite record.
"""

from __future__ import annotations

import re

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_SHAPE = re.compile(r"[A-Za-z0-9]{15}(?:[A-Z0-5]{3})?")


def _suffix(id15: str) -> str:
    chars = []
    for block in range(3):
        bits = 0
        for position, char in enumerate(id15[block * 5 : block * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        chars.append(_SUFFIX_ALPHABET[bits])
    return "".join(chars)


def to_18(sf_id: str) -> str | None:
    """The 18-character form of a 15- or 18-character Salesforce id, or None if it is not one."""
    if not _ID_SHAPE.fullmatch(sf_id):
        return None
    head = sf_id[:15]
    suffix = _suffix(head)
    if len(sf_id) == 18 and sf_id[15:] != suffix:
        return None
    return head + suffix
