"""CSV as Bulk API 2.0 writes it: every value double-quoted, embedded quotes doubled.

Rules:

- ``columnDelimiter`` names map to characters (COMMA ``,``, TAB, PIPE ``|``, SEMICOLON ``;``,
  CARET ``^``, BACKQUOTE `````) and ``lineEnding`` LF / CRLF to ``\\n`` / ``\\r\\n``.
- Null prints as an empty quoted value (``""``), the same as an empty string: the format cannot
  tell them apart, exactly as with Salesforce.
- Line breaks and delimiters inside values stay as they are, protected by the quotes; NUL bytes
  are passed through untouched (real orgs emit them, and clients must cope).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

COLUMN_DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}


@dataclass(frozen=True, slots=True)
class CsvDialect:
    delimiter_name: str = "COMMA"
    line_ending_name: str = "LF"

    @property
    def delimiter(self) -> str:
        return COLUMN_DELIMITERS[self.delimiter_name]

    @property
    def line_ending(self) -> str:
        return LINE_ENDINGS[self.line_ending_name]

    def line(self, values: Iterable[str | None]) -> str:
        quoted = ('"' + value.replace('"', '""') + '"' if value else '""' for value in values)
        return self.delimiter.join(quoted) + self.line_ending
