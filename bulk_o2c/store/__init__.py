"""The checkpoint: runs, extraction progress, staged records, chunk ledger, outcomes, DLQ, write-back.

Stages share state only through this store, and each step's progress is committed before the next
step acts on it, so a run killed at any moment resumes without losing or repeating a record.
"""

from bulk_o2c.store.chunks import Chunk, ChunkState, Completion, Settled
from bulk_o2c.store.database import CheckpointConflictError
from bulk_o2c.store.dlq import DeadLetter
from bulk_o2c.store.export import export
from bulk_o2c.store.extraction import ExtractionProgress
from bulk_o2c.store.fingerprint import Fingerprint, fingerprint
from bulk_o2c.store.outcomes import CrossReference, RecordOutcome
from bulk_o2c.store.runs import RunInfo
from bulk_o2c.store.settle import PARENT_FAILED, Failure
from bulk_o2c.store.staging import Readiness, StagedRecord
from bulk_o2c.store.store import CHECKPOINT_FILE, CheckpointStore, RunSummary, open_store
from bulk_o2c.store.writeback import WritebackItem, WritebackJob

__all__ = [
    "CHECKPOINT_FILE",
    "PARENT_FAILED",
    "CheckpointConflictError",
    "CheckpointStore",
    "Chunk",
    "ChunkState",
    "Completion",
    "CrossReference",
    "DeadLetter",
    "ExtractionProgress",
    "Failure",
    "Fingerprint",
    "Readiness",
    "RecordOutcome",
    "RunInfo",
    "RunSummary",
    "Settled",
    "StagedRecord",
    "WritebackItem",
    "WritebackJob",
    "export",
    "fingerprint",
    "open_store",
]
