"""The exception hierarchy of bulk-o2c.

    BulkO2CError
    ├── ConfigError                 settings are missing or contradict each other
    ├── LocalFileError              a file or folder on this machine cannot be used (not a folder,
    │                               not writable, disk full, a damaged checkpoint)
    ├── AuthError                   a token could not be obtained (bad key, unapproved app, ...)
    ├── TransientError              worth another attempt: the same request may succeed later
    │   ├── ConcurrencyLimitError   the shared NetSuite pool (or Salesforce concurrency) said no
    │   ├── SessionExpiredError     the token died; refresh and replay
    │   ├── ResponseMismatchError   the answer does not fit the request record for record
    │   └── BodyTooLargeError       an answer passed its size bound (after decompression); unread
    └── PermanentError              the same request will fail again; the data or setup must change
        └── RequestTooLargeError    too many records or bytes in one request: split it and go on

An over-size answer is transient on purpose: a proxy's error page, a broken gzip stream or a
server fault may not come back, and a run that gives up on it stops before committing that
request's progress, so resume asks again (after the bound was raised, if the answer was real).

Protocol modules raise these from pure parsing code; transport decides what to retry from the
class alone, so no caller ever inspects message strings.
"""

from __future__ import annotations


class BulkO2CError(Exception):
    """Base of every error bulk-o2c raises on purpose."""


class ConfigError(BulkO2CError):
    """The configuration is incomplete or inconsistent."""


class LocalFileError(BulkO2CError):
    """A file or folder on this machine cannot be used; the message names it and what to do."""


class AuthError(BulkO2CError):
    """A token could not be obtained; retrying with the same credentials will not help."""


class TransientError(BulkO2CError):
    """The request may succeed if sent again later."""


class ConcurrencyLimitError(TransientError):
    """The account's shared concurrency pool rejected the request."""


class SessionExpiredError(TransientError):
    """The access token or session is no longer valid; refresh it and replay once."""


class ResponseMismatchError(TransientError):
    """The answer's per-record outcomes do not pair off one for one with the records sent.

    Nothing in such an answer can be trusted for any record: the request is sent again whole (the
    upsert by external id makes that harmless) and no outcome of it is kept.
    """


class BodyTooLargeError(TransientError):
    """An answer's body passed its bound, counted in decompressed bytes; the rest was not read."""

    def __init__(self, message: str, *, limit: int, received: int) -> None:
        super().__init__(message)
        self.limit = limit
        self.received = received


class PermanentError(BulkO2CError):
    """The request will fail again unchanged."""


class RequestTooLargeError(PermanentError):
    """The request carried more records or bytes than the operation allows; split it."""
