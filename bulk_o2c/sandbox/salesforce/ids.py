"""Salesforce record ids: 15 case-sensitive characters, 18 with the case-safe checksum suffix.

Layout of the 15 characters: a 3-character key prefix naming the object (``001`` Account), a
2-character instance part, one reserved character, then a 9-digit base-62 counter. The sandbox
makes the counter the record's position plus one, so an id can be turned back into the row that
generated it without any index.

The suffix (the real 15 -> 18 algorithm): split the 15 characters into three groups of five; for
each group, set bit ``i`` when character ``i`` is an upper-case letter; the 5-bit value indexes
``A..Z0..5``. Two ids differing only in case thus get different 18-character forms.
"""

from __future__ import annotations

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62_VALUE = {c: i for i, c in enumerate(BASE62)}
_INSTANCE = "5g"
_RESERVED = "0"
_COUNTER_DIGITS = 9
MAX_COUNTER = 62**_COUNTER_DIGITS - 1


def checksum_suffix(id15: str) -> str:
    if len(id15) != 15:
        raise ValueError("a Salesforce id checksum is computed over exactly 15 characters")
    suffix = []
    for start in (0, 5, 10):
        bits = 0
        for offset, char in enumerate(id15[start : start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << offset
        suffix.append(_SUFFIX_CHARS[bits])
    return "".join(suffix)


def to_18(id15: str) -> str:
    return id15 + checksum_suffix(id15)


_PAIRS = [a + b for a in BASE62 for b in BASE62]
_UPPER = [int("A" <= c <= "Z") for c in BASE62]
_PAIR_UPPER = [_UPPER[i // 62] | _UPPER[i % 62] << 1 for i in range(62 * 62)]
_HEAD_SUFFIX: dict[str, str] = {}


def make_id(prefix: str, counter: int) -> str:
    """The 18-character id of record number ``counter`` (1-based) of the object with ``prefix``.

    Equivalent to ``to_18(prefix + instance + reserved + base62(counter, 9 digits))``, computed
    from two-digit tables because the sandbox makes several ids for every row it serves.
    """
    if not 0 < counter <= MAX_COUNTER:
        raise ValueError("the id counter is out of range")
    head_suffix = _HEAD_SUFFIX.get(prefix)
    if head_suffix is None:
        if len(prefix) != 3:
            raise ValueError("a key prefix has three characters")
        head_suffix = _HEAD_SUFFIX[prefix] = checksum_suffix(prefix + _INSTANCE + _RESERVED + "0" * 9)[0]
    rest, d78 = divmod(counter, 3844)
    rest, d56 = divmod(rest, 3844)
    rest, d34 = divmod(rest, 3844)
    d0, d12 = divmod(rest, 3844)
    # Second group of five: the reserved "0", digits 0 to 3; third group: digits 4 to 8.
    second = _UPPER[d0] << 1 | _PAIR_UPPER[d12] << 2 | (_PAIR_UPPER[d34] & 1) << 4
    third = _PAIR_UPPER[d34] >> 1 | _PAIR_UPPER[d56] << 1 | _PAIR_UPPER[d78] << 3
    return "".join(
        (
            prefix,
            _INSTANCE,
            _RESERVED,
            BASE62[d0],
            _PAIRS[d12],
            _PAIRS[d34],
            _PAIRS[d56],
            _PAIRS[d78],
            head_suffix,
            _SUFFIX_CHARS[second],
            _SUFFIX_CHARS[third],
        )
    )


def parse_counter(record_id: str, prefix: str) -> int | None:
    """The counter of an id made by :func:`make_id`, or None when it is not such an id.

    Both the 15- and the 18-character forms are accepted; an 18-character id must carry the right
    suffix for its 15 characters, as Salesforce checks.
    """
    if len(record_id) not in (15, 18) or not record_id.startswith(prefix + _INSTANCE + _RESERVED):
        return None
    id15 = record_id[:15]
    if len(record_id) == 18 and record_id[15:] != checksum_suffix(id15):
        return None
    counter = 0
    for char in id15[6:]:
        value = _BASE62_VALUE.get(char)
        if value is None:
            return None
        counter = counter * 62 + value
    return counter if counter > 0 else None
