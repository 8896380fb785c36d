"""A run's settings fingerprint: what the run was configured with, minus every secret, and what
changed since.

Rules this module owns:
- Secret fields (``SecretStr``) are left out, not masked. The one exception is the identity of the
  NetSuite credentials: a SHA-256 of the consumer key and token id. Those two are identifiers
  NetSuite generates (64 hex digits each, 256 random bits, which no hash search can recover) and
  every request carries them in clear in its Authorization header; the two secrets that sign
  (consumer secret, token secret) are never part of the fingerprint, so rotating them changes
  nothing, while another integration or token (another account's, most likely) is a changed target.
- A password inside a URL (``https://user:pw@host``) is replaced by ``***``.
- The JSON is canonical (sorted keys, no spaces), so equal settings give equal digests; the digest is
  SHA-256 of that JSON.
- Continuing a run compares the settings it was recorded with to today's, setting by setting (by
  dotted path, ``mapping.subsidiary_id``). A change in ``TUNING`` (how fast, how patient) is
  allowed; any other change (where records go, what they are mapped to, who signs) is a changed
  target or mapping. A setting recorded on one side only (a checkpoint older than the setting, or
  than the credentials identity) cannot be compared and is passed over; an entry of a table inside
  a setting (``mapping.order_status.Draft``) present on one side only is a change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
from pydantic import BaseModel, SecretBytes, SecretStr

CREDENTIALS_PATH = "netsuite.credentials"
"""Where the identity of the NetSuite credentials sits in the fingerprint."""

TUNING = frozenset(
    {
        "netsuite.concurrency",
        "netsuite.chunk_size",
        "netsuite.request_timeout_s",
        "netsuite.max_attempts",
        "netsuite.max_response_mib",  # raised to resume a run stopped by an over-size answer
        "salesforce.session_timeout_s",
        "salesforce.refresh_margin",
        "salesforce.page_size",
        "salesforce.poll_initial_s",
        "salesforce.poll_max_s",
        "salesforce.poll_timeout_s",
        "salesforce.max_body_mib",
        "salesforce.body_timeout_s",
        "salesforce.refresh_token_file",  # where a rotated token is kept, not whose it is
        "run.delta_overlap_s",  # read only when a flow's window is first fixed
        "run.state_dir",  # the checkpoint found is the run's, wherever it was moved
    }
)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    digest: str
    canonical_json: str


@dataclass(frozen=True, slots=True)
class Change:
    path: str  # dotted, as in the TOML: ``netsuite.account_id``
    before: Any
    after: Any

    def describe(self) -> str:
        if self.path == CREDENTIALS_PATH:  # hashes mean nothing to a reader
            return f"{self.path} (another consumer key or token id)"
        return f"{self.path} ({_short(self.before)} -> {_short(self.after)})"


@dataclass(frozen=True, slots=True)
class SettingsChanges:
    target: tuple[Change, ...]  # where records go, how they are mapped, who signs
    tuning: tuple[Change, ...]  # how fast and how patiently: safe to change mid-run


def _short(value: Any) -> str:
    text = orjson.dumps(value, default=str).decode()
    return text if len(text) <= 60 else text[:57] + "..."


def _without_url_password(text: str) -> str:
    if "@" not in text or "://" not in text:
        return text
    parts = urlsplit(text)
    if parts.password is None:
        return text
    netloc = f"{parts.username}:***@{parts.netloc.rpartition('@')[2]}"
    return urlunsplit(parts._replace(netloc=netloc))


def _public(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: _public(item) for key, item in value.items() if not isinstance(item, SecretStr | SecretBytes)
        }
    if isinstance(value, list | tuple | set | frozenset):
        items = [_public(item) for item in value if not isinstance(item, SecretStr | SecretBytes)]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, str):
        return _without_url_password(value)
    return value


def _credentials_identity(netsuite: BaseModel) -> str | None:
    key, token = getattr(netsuite, "consumer_key", None), getattr(netsuite, "token_id", None)
    if not isinstance(key, SecretStr) or not isinstance(token, SecretStr):
        return None
    joined = f"bulk-o2c credentials\0{key.get_secret_value()}\0{token.get_secret_value()}"
    return hashlib.sha256(joined.encode()).hexdigest()


def fingerprint(settings: BaseModel) -> Fingerprint:
    public = _public(settings.model_dump(mode="python"))
    netsuite = getattr(settings, "netsuite", None)
    if isinstance(netsuite, BaseModel) and (identity := _credentials_identity(netsuite)) is not None:
        public["netsuite"]["credentials"] = identity
    canonical = orjson.dumps(public, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    return Fingerprint(hashlib.sha256(canonical).hexdigest(), canonical.decode())


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every setting by dotted path; a list or a table keyed by data (order_status) is one value
    per key, so a change names the key."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    else:
        yield path, value


def changes(recorded_json: str, current: Fingerprint) -> SettingsChanges:
    """What differs between the settings a run recorded and ``current``."""
    before = dict(_leaves(orjson.loads(recorded_json)))
    after = dict(_leaves(orjson.loads(current.canonical_json)))
    # Sections and their settings are two levels; anything deeper is an entry of a table.
    comparable = (before.keys() & after.keys()) | {
        path for path in before.keys() ^ after.keys() if path.count(".") >= 2
    }
    differ = [Change(path, before.get(path), after.get(path)) for path in sorted(comparable)]
    differ = [change for change in differ if change.before != change.after]
    return SettingsChanges(
        target=tuple(c for c in differ if c.path not in TUNING),
        tuning=tuple(c for c in differ if c.path in TUNING),
    )
