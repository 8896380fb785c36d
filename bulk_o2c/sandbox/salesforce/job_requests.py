"""What query and ingest job requests have in common: the API version in the path, the JSON body,
the CSV dialect fields, and job ids (18-character ids with the ``750`` key prefix, numbered in
creation order across both kinds of job)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bulk_o2c.sandbox.salesforce.api_errors import ApiError, not_found
from bulk_o2c.sandbox.salesforce.csv_format import COLUMN_DELIMITERS, LINE_ENDINGS, CsvDialect
from bulk_o2c.sandbox.salesforce.ids import make_id

JOB_KEY_PREFIX = "750"


def job_id(number: int) -> str:
    return make_id(JOB_KEY_PREFIX, number)


def api_version(request: web.Request, minimum: float) -> str:
    version = request.match_info["version"].lstrip("v")
    if float(version) < minimum:
        raise not_found()
    return version


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.text())
    except ValueError:
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
    return body


def dialect_of(body: dict[str, Any]) -> CsvDialect:
    delimiter = body.get("columnDelimiter", "COMMA")
    line_ending = body.get("lineEnding", "LF")
    if delimiter not in COLUMN_DELIMITERS:
        raise ApiError(400, "INVALIDJOB", f"InvalidJob : Invalid column delimiter: {delimiter}")
    if line_ending not in LINE_ENDINGS:
        raise ApiError(400, "INVALIDJOB", f"InvalidJob : Invalid line ending: {line_ending}")
    if body.get("contentType", "CSV") != "CSV":
        raise ApiError(400, "INVALIDJOB", "InvalidJob : Only CSV content is supported")
    return CsvDialect(delimiter, line_ending)
