"""A run's settings fingerprint: what the run was configured with, minus every secret.

Rules this module owns:
- Secret fields (``SecretStr``) are left out entirely, not masked and not hashed: a hash of a short
  secret can be brute-forced, and a changed credential is not a changed run.
- A password inside a URL (``https://user:pw@host``) is replaced by ``***``.
- The JSON is canonical (sorted keys, no spaces), so equal settings give equal digests; the digest is
  SHA-256 of that JSON. Resume compares digests to tell the user the settings changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
from pydantic import BaseModel, SecretBytes, SecretStr


@dataclass(frozen=True, slots=True)
class Fingerprint:
    digest: str
    canonical_json: str


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


def fingerprint(settings: BaseModel) -> Fingerprint:
    public = _public(settings.model_dump(mode="python"))
    canonical = orjson.dumps(public, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    return Fingerprint(hashlib.sha256(canonical).hexdigest(), canonical.decode())
