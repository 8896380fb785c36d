"""Staged Salesforce rows as the checkpoint holds them.

Rules this module owns:
- A row is a JSON array of values in the order of its extraction's header (a JSON array of column
  names, kept once per run and flow). A checkpoint written before headers were kept holds JSON
  objects, with no header; both read back as the same ``{column: value}`` dict.
- A row whose width differs from its header's is a corrupt checkpoint, never a silent shift.
"""

from __future__ import annotations

from functools import lru_cache

import orjson

from bulk_o2c.store.database import CheckpointConflictError


@lru_cache(maxsize=64)
def _columns(header: str) -> tuple[str, ...]:
    return tuple(orjson.loads(header))


def decode_row(data: str | bytes, header: str | None) -> dict[str, str]:
    value = orjson.loads(data)
    if isinstance(value, dict):
        return value
    if header is None:
        raise CheckpointConflictError("a staged row has no header to read it with")
    columns = _columns(header)
    if len(columns) != len(value):
        raise CheckpointConflictError(f"a staged row has {len(value)} values for {len(columns)} columns")
    return dict(zip(columns, value, strict=True))


def source_join(alias: str) -> str:
    """The joins that bring the staged row (``s.row``) and its header (``e.header``) of the record
    that table ``alias`` names by run, flow and Salesforce id: what exports show as ``source``."""
    return (
        f"LEFT JOIN staged s ON s.run_id = {alias}.run_id AND s.flow = {alias}.flow "
        f"AND s.sf_id = {alias}.sf_id LEFT JOIN extractions e ON e.run_id = {alias}.run_id "
        f"AND e.flow = {alias}.flow"
    )


def decode_source(data: str | bytes | None, header: str | None) -> dict[str, str] | None:
    """The staged row of a ``source_join``, None when the record has none (any more)."""
    return None if data is None else decode_row(data, header)
