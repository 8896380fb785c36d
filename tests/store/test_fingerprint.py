from __future__ import annotations

import orjson

from bulk_o2c.config import Settings
from bulk_o2c.store import fingerprint
from bulk_o2c.store.fingerprint import SettingsChanges, changes

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


def _changed(before: Settings, after: Settings) -> tuple[list[str], list[str]]:
    found = changes(fingerprint(before).canonical_json, fingerprint(after))
    return [c.path for c in found.target], [c.path for c in found.tuning]


def test_a_changed_account_url_or_subsidiary_is_a_changed_target_named_by_its_setting() -> None:
    base = Settings(netsuite=SECRETS)
    other = Settings(
        netsuite={**SECRETS, "account_id": "7654321", "soap_url": "https://7654321.example.com/ns"},
        mapping={"subsidiary_id": "3"},
    )
    assert _changed(base, other) == (
        ["mapping.subsidiary_id", "netsuite.account_id", "netsuite.soap_url"],
        [],
    )
    found = changes(fingerprint(base).canonical_json, fingerprint(other))
    assert 'netsuite.account_id ("1234567_SB1" -> "7654321")' in [c.describe() for c in found.target]


def test_other_credentials_are_a_changed_target_but_rotated_secrets_are_not() -> None:
    base = Settings(netsuite=SECRETS)
    assert _changed(base, Settings(netsuite={**SECRETS, "token_id": "tid-other"})) == (
        ["netsuite.credentials"],
        [],
    )
    rotated = Settings(netsuite={**SECRETS, "consumer_secret": "cs-new", "token_secret": "ts-new"})
    assert _changed(base, rotated) == ([], [])
    # The identity names no credential, not even in part.
    text = fingerprint(base).canonical_json
    assert SECRETS["consumer_key"] not in text
    assert SECRETS["token_id"] not in text


def test_tuning_changes_are_told_apart_from_target_changes() -> None:
    base = Settings(netsuite=SECRETS)
    faster = Settings(
        netsuite={**SECRETS, "concurrency": 15, "chunk_size": 50, "request_timeout_s": 60.0},
        salesforce={"page_size": 10_000, "max_body_mib": 512},
    )
    assert _changed(base, faster) == (
        [],
        [
            "netsuite.chunk_size",
            "netsuite.concurrency",
            "netsuite.request_timeout_s",
            "salesforce.max_body_mib",  # raised to resume a run an over-size page stopped
            "salesforce.page_size",
        ],
    )


def test_an_entry_of_a_mapping_table_removed_is_named() -> None:
    base = Settings()
    fewer = Settings(mapping={"order_status": {"Draft": "_pendingApproval"}})
    assert _changed(base, fewer) == (["mapping.order_status.Activated"], [])


def test_settings_an_older_checkpoint_did_not_record_are_not_a_change() -> None:
    current = fingerprint(Settings(netsuite=SECRETS))
    recorded = orjson.loads(current.canonical_json)
    del recorded["netsuite"]["credentials"]  # recorded before the credentials identity existed
    del recorded["run"]["writeback"]  # or before a setting existed
    found = changes(orjson.dumps(recorded).decode(), current)
    assert found == SettingsChanges(target=(), tuning=())
