"""REST-style errors of the sandbox API: an HTTP status and a JSON *list* of error objects.

    [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]

Handlers raise :class:`ApiError`; the server middleware turns it into that response. OAuth
endpoints answer in their own ``{"error", "error_description"}`` shape and do not use this.
"""

from __future__ import annotations

from aiohttp import web


class ApiError(Exception):
    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message

    def response(self) -> web.Response:
        return error_response(self.status, self.error_code, self.message)


def error_response(status: int, error_code: str, message: str) -> web.Response:
    return web.json_response([{"message": message, "errorCode": error_code}], status=status)


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", "The requested resource does not exist")
