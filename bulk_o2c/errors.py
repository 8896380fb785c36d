"""The exception tree of bulk-o2c: every class, where it lives, and what happens to it.

This is the one catalogue (tests/test_errors.py fails when a class is missing from it or listed
where it no longer lives). The branches live here and are what callers catch; a leaf lives beside
the protocol or layer that raises it. Protocol modules raise them from pure parsing code, and what
to retry is decided from the class alone: no caller ever inspects a message string.

What happens to an error, in the last column:

    retried  ``RetryPolicy`` (transport/retry.py) sends the same request again with jittered
             exponential backoff, up to its attempts and time: Salesforce requests, page
             downloads and token requests, and NetSuite writes, go through it. Only
             ``TransientError`` is retried; anything else goes straight up. Once retries run out,
             a Salesforce call stops, and a NetSuite write halts.
    stops    the command prints one line, ``error: <message>``, and exits 1 (cli.py). Nothing of
             the step that failed was committed, so a resume repeats it.
    halts    a NetSuite request failed as a whole: its records are staged again, not put in the
             DLQ (the records are not at fault), and the run stops with the reason (exit 1); a
             resume sends them (transport/netsuite/writer.py, pipeline/load.py).
    split    the NetSuite request is sent again in halves; a lone record still too large goes
             to the DLQ, and later requests are pre-split below a record count that failed.
    DLQ      one record fails into the dead-letter queue, and the run goes on.

``[soap]`` marks a ``SoapFault`` (protocol/netsuite/faults.py: the fault code decides the class),
``[sf]`` a ``SalesforceApiError`` (protocol/salesforce/errors.py: the HTTP status and
``errorCode`` decide it). Both are families only, never raised bare; each member sits in the
branch that says what to do with it.

    BulkO2CError                             errors                           (the base)
    ├── ConfigError                          errors                           stops before work
    │   ├── OrgSchemaError                   pipeline/org_plan                stops, lists all
    │   └── SettingsChangedError             pipeline/run                     stops, names each
    ├── LocalFileError                       errors                           stops
    ├── StateDirLockedError                  errors                           stops, exit 5
    ├── CheckpointConflictError              store/database                   stops, unwritten
    ├── SandboxProcessError                  bench/sandbox_process            stops (bench, demo)
    ├── SoapFault                            protocol/netsuite/faults         family: [soap]
    ├── SalesforceApiError                   protocol/salesforce/errors       family: [sf]
    ├── AuthError                            errors                           stops: new grant
    │   ├── SessionNotUsableError [sf]       protocol/salesforce/errors       stops
    │   ├── FreshTokenRefusedError [sf]      protocol/salesforce/errors       stops
    │   └── OAuthError [sf]                  protocol/salesforce/errors       stops
    ├── TransientError                       errors                           retried
    │   ├── ConcurrencyLimitError            errors                           retried, see 1
    │   │   ├── ConcurrencyFault [soap]      protocol/netsuite/faults         retried, see 1
    │   │   └── ConcurrentRequestLimitError [sf]
    │   │                                    protocol/salesforce/errors       retried
    │   ├── SessionExpiredError              errors                           see 2
    │   │   ├── SessionFault [soap]          protocol/netsuite/faults         retried, see 2
    │   │   └── InvalidSessionError [sf]     protocol/salesforce/errors       see 2
    │   ├── ResponseMismatchError            errors                           retried, see 3
    │   ├── BodyTooLargeError                errors                           retried, see 4
    │   ├── BodyTimeoutError                 transport/body                   retried
    │   ├── MalformedResponseError           protocol/netsuite/faults         retried, see 5
    │   ├── TransientFault [soap]            protocol/netsuite/faults         retried
    │   ├── ServerBusyError [sf]             protocol/salesforce/errors       retried
    │   └── ConnectionLostError              transport/salesforce/http        retried
    └── PermanentError                       errors                           stops (a write halts)
        ├── RequestTooLargeError             errors                           split
        │   ├── RecordCountFault [soap]      protocol/netsuite/faults         split
        │   └── RequestSizeFault [soap]      protocol/netsuite/faults         split
        ├── RecordEncodingError              protocol/netsuite/envelope       DLQ
        ├── PermanentFault [soap]            protocol/netsuite/faults         halts
        ├── DailyApiLimitError [sf]          protocol/salesforce/errors       stops for the day
        ├── RequestRejectedError [sf]        protocol/salesforce/errors       stops
        │   ├── InvalidQueryError [sf]       protocol/salesforce/errors       stops
        │   ├── UnsupportedEntityError [sf]  protocol/salesforce/errors       stops
        │   ├── ApiDisabledError [sf]        protocol/salesforce/errors       stops
        │   └── NotFoundError [sf]           protocol/salesforce/errors       stops, see 6
        ├── SalesforceProtocolError [sf]     protocol/salesforce/errors       stops
        ├── InsecureEndpointError            transport/endpoint_guard         stops, unsent
        ├── CsvFormatError                   protocol/salesforce/csv_stream   stops
        │   ├── CsvFieldTooLargeError        protocol/salesforce/csv_stream   stops
        │   └── CsvHeaderMismatchError       protocol/salesforce/csv_stream   stops
        ├── RowCountMismatchError            protocol/salesforce/csv_stream   stops
        ├── UntrustedResultsError            protocol/salesforce/result_walk  stops, see 7
        │   ├── ResultLoopError              protocol/salesforce/result_walk  stops, see 7
        │   ├── ResultOverrunError           protocol/salesforce/result_walk  stops, see 7
        │   └── ShortReadError               protocol/salesforce/result_walk  new job, see 7
        ├── QueryJobFailedError              transport/salesforce/bulk_query  stops
        │   └── QueryJobInternalError        transport/salesforce/bulk_query  new job, see 8
        ├── QueryJobTimeoutError             transport/salesforce/bulk_query  stops, aborted
        └── JobFailedError                   transport/salesforce/ingest      halts write-back

    ResultOverrunError and ShortReadError are RowCountMismatchErrors too.

1. NetSuite's limiter shrinks its pool on each one (transport/limiter.py) and grows back on
   successes, so a pool others share is not hammered; an HTTP 429 without a fault is one too.
2. Salesforce: the token that request carried is dropped and the request replayed once with a new
   one; a refusal of the new token is a ``FreshTokenRefusedError``. NetSuite signs a new passport
   on every attempt anyway, so its session fault is an ordinary retry.
3. The answer does not pair off with the records sent, key for key: no outcome of it is kept and
   the request is resent whole (the upsert by external id makes that harmless).
4. An over-size answer is transient on purpose: a proxy's error page, a broken gzip stream or a
   server fault may not come back, and a run that gives up on it stops before committing that
   request's progress, so resume asks again (after the bound was raised, if the answer was real).
5. A body that is not a readable SOAP answer (truncated, HTML, a DTD); with a 4xx status other than
   408 and 429 it is a plain ``PermanentError`` instead (halts).
6. Callers that can do without the resource fall back (describe of an object the org lacks).
7. The query job's pages loop or do not add up: the rows staged from it are set aside and the flow
   is read again from a new job, never the same one; a short read gets new jobs at once, up to
   ``SHORT_READ_JOBS`` (pipeline/extract.py), the others on the next run.
8. Salesforce failed the job internally: it is created again, up to its attempts, then stops.

Outside the tree, on purpose: these never reach the user as they are.

    Rejected                                 mapping/result                   a rule's refusal: DLQ
    StoppedAtOnce                            commands/run                     second signal: exit 4
    _BadEnvironmentValue                     config                           becomes ConfigError
    RequestRejected                          sandbox/netsuite/soap_request    a SOAP fault answer
    ApiError                                 sandbox/salesforce/api_errors    an HTTP error answer
    InvalidGrant                             sandbox/salesforce/sessions      an HTTP error answer
    SoqlError                                sandbox/salesforce/soql          an HTTP error answer
    _OAuthError                              sandbox/salesforce/oauth         an HTTP error answer
    _BatchError                              sandbox/salesforce/ingest_jobs   a job failed as a whole

The sandbox's are the emulated servers' refusals, answered on the wire as the real service would.
A built-in error (``ValueError``, ``TypeError``) from protocol code is a caller breaking its
contract, a bug; config's are pydantic validators, which ``load_settings`` turns into ``ConfigError``.
"""

from __future__ import annotations


class BulkO2CError(Exception):
    """Base of every error bulk-o2c raises on purpose."""


class ConfigError(BulkO2CError):
    """The configuration is incomplete or inconsistent."""


class StateDirLockedError(BulkO2CError):
    """Another process holds the state directory's lock; nothing was written."""


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
