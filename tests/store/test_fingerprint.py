from __future__ import annotations

import orjson

from bulk_o2c.config import Settings
from bulk_o2c.store import fingerprint

SECRETS = {
    "consumer_key": "ck-4f1d2a9b8c7e6d5f",
    "consumer_secret": "cs-0a9b8c7d6e5f4a3b",
    "token_id": "tid-1122334455667788",
    "token_secret": "ts-99aa88bb77cc66dd",
    "m2m_private_key": "-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
}
SF_SECRETS = {
    "private_key": "sf-pk-55aa66bb77cc",
    "client_secret": "sf-cs-8899aabbccdd",
    "refresh_token": "5Aep861rt",
}


def test_the_fingerprint_holds_no_secret() -> None:
    settings = Settings(netsuite=SECRETS, salesforce={**SF_SECRETS, "client_id": "3MVG9public"})
    result = fingerprint(settings)
    for secret in [*SECRETS.values(), *SF_SECRETS.values()]:
        assert secret not in result.canonical_json
        assert secret[:12] not in result.canonical_json
    public = orjson.loads(result.canonical_json)
    assert public["salesforce"]["client_id"] == "3MVG9public"  # what is not secret stays, to compare runs
    assert "token_secret" not in public["netsuite"]


def test_a_changed_secret_does_not_change_the_fingerprint_but_a_changed_setting_does() -> None:
    base = fingerprint(Settings(netsuite=SECRETS))
    assert fingerprint(Settings(netsuite={**SECRETS, "token_secret": "rotated"})) == base
    assert fingerprint(Settings(netsuite={**SECRETS, "concurrency": 9})).digest != base.digest


def test_a_password_in_a_url_is_masked() -> None:
    settings = Settings(
        netsuite={"soap_url": "http://user:hunter2@127.0.0.1:8080/services/NetSuitePort_2025_2"}
    )
    text = fingerprint(settings).canonical_json
    assert "hunter2" not in text
    assert "user:***@127.0.0.1:8080" in text
