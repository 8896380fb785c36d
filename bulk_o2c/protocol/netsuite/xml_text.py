"""Text and attribute values made safe for an XML 1.0 document built by hand.

Rules this module owns:
- Characters XML 1.0 forbids (C0 controls other than TAB, LF and CR; U+FFFE and U+FFFF; lone
  surrogates) cannot be escaped, not even as character references, so they are removed and returned
  to the caller, who reports them. Nothing else is altered: C1 controls and non-BMP characters are
  legal XML 1.0 and pass through.
- Element content escapes ``&``, ``<`` and ``>`` (the last so ``]]>`` never appears) and CR, which a
  parser would otherwise turn into LF.
- Attribute values are always written in double quotes; they escape ``&``, ``<``, ``>``, ``"`` and
  TAB/LF/CR, which attribute-value normalization would otherwise turn into spaces.
- A clean value (the common case) is returned as is, found clean by ``str.isprintable`` plus three
  substring tests (C loops, about twice as fast as a regex scan on long values); anything else,
  including harmless non-printables such as LF or NBSP, goes through one precompiled regex search.
"""

from __future__ import annotations

import re

_FORBIDDEN_CLASS = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_FORBIDDEN = re.compile(f"[{_FORBIDDEN_CLASS}]")
_TEXT_NEEDS_WORK = re.compile(f"[&<>\r{_FORBIDDEN_CLASS}]")
_ATTRIBUTE_NEEDS_WORK = re.compile(f'[&<>"\t\n\r{_FORBIDDEN_CLASS}]')


def remove_forbidden(value: str) -> tuple[str, str]:
    """Return ``value`` without the characters XML 1.0 forbids, and the characters removed."""
    removed = _FORBIDDEN.findall(value)
    if not removed:
        return value, ""
    return _FORBIDDEN.sub("", value), "".join(removed)


def is_clean_text(value: str) -> bool:
    """True when ``value`` is element content as it is: the common case, told in C loops only."""
    # isprintable() is False for every forbidden character (controls, surrogates, non-characters).
    return value.isprintable() and "&" not in value and "<" not in value and ">" not in value


def is_clean_key(value: str) -> bool:
    """True when ``value`` goes into a double-quoted attribute as it is (ids, types, script ids)."""
    return is_clean_text(value) and '"' not in value


def escape_text(value: str) -> tuple[str, str]:
    """Return ``value`` as element content, and the forbidden characters that were removed."""
    if is_clean_text(value) or _TEXT_NEEDS_WORK.search(value) is None:
        return value, ""
    value, removed = remove_forbidden(value)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return value, removed


def escape_attribute(value: str) -> tuple[str, str]:
    """Return ``value`` for a double-quoted attribute, and the forbidden characters that were removed."""
    if is_clean_key(value) or _ATTRIBUTE_NEEDS_WORK.search(value) is None:
        return value, ""
    value, removed = remove_forbidden(value)
    value = (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )
    return value, removed
