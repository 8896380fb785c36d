"""Staged rows as stored: arrays read with their extraction's header, objects as they are."""

from __future__ import annotations

import orjson
import pytest

from bulk_o2c.store import CheckpointConflictError
from bulk_o2c.store.rows import decode_row

HEADER = orjson.dumps(["Id", "Name", "Account.Name"]).decode()


def test_an_array_row_is_read_with_its_header() -> None:
    row = orjson.dumps(["001A", "Acme\n\x00🚀", ""])
    assert decode_row(row, HEADER) == {"Id": "001A", "Name": "Acme\n\x00🚀", "Account.Name": ""}


def test_an_object_row_from_before_headers_were_kept_is_read_as_it_is() -> None:
    assert decode_row('{"Id":"001A","Name":"Acme"}', None) == {"Id": "001A", "Name": "Acme"}


@pytest.mark.parametrize(
    ("row", "header", "message"),
    [
        (b'["001A","Acme"]', HEADER, "2 values for 3 columns"),
        (b'["001A","Acme","x","y"]', HEADER, "4 values for 3 columns"),
        (b'["001A","Acme","x"]', None, "no header"),
    ],
)
def test_a_row_that_does_not_fit_its_header_is_refused(row: bytes, header: str | None, message: str) -> None:
    with pytest.raises(CheckpointConflictError, match=message):
        decode_row(row, header)
