"""NetSuite governance figures the client plans around (reference: netsuite-soap.md section 4)."""

from __future__ import annotations

# Oracle's governance table: synchronous upsertList takes at most 100 records per request;
# more is rejected whole with ExceededRecordCountFault.
UPSERT_LIST_MAX_RECORDS = 100
# asyncUpsertList allows 200.
ASYNC_UPSERT_LIST_MAX_RECORDS = 200
# The largest list any account or operation has ever been granted; the chunk-size setting stops here.
CHUNK_SIZE_CEILING = 1000
# A request longer than this is cut off by NetSuite, so client timeouts sit well below it.
SERVER_REQUEST_TIMEOUT_S = 15 * 60
# Base concurrency of a Standard (and any development) account.
BASE_ACCOUNT_CONCURRENCY = 5
