"""Logging set-up: human lines on a terminal, or one JSON object per line (``--log-format json``).

Log records carry values through ``extra=`` fields, never formatted secrets: nothing in bulk-o2c
passes a token, key or signature to a logger, and ``SecretStr`` renders masked if one slips through.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal

import orjson

_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        doc.update(
            (key, value)
            for key, value in vars(record).items()
            if key not in _STANDARD_ATTRS and not key.startswith("_")
        )
        if record.exc_info and record.exc_info[0] is not None:
            # The type and message only: a rendered traceback would carry frame locals' reprs.
            doc["error"] = f"{record.exc_info[0].__name__}: {record.exc_info[1]}"
        return orjson.dumps(doc, default=str).decode()


def configure_logging(fmt: Literal["text", "json"] = "text", level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log would print every sandbox request; keep it for debugging only.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
