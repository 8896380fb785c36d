from __future__ import annotations

from pathlib import Path

import pytest

from bulk_o2c.config import NetSuiteSettings, check_endpoint, load_settings, load_settings_without_secrets
from bulk_o2c.errors import ConfigError

SECRET = "s3cr3t-token-value-never-printed"


def test_defaults_need_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.netsuite.endpoint_version == "2025_2"
    # No cap: a run takes its concurrency from NetSuite, or the base pool of 5 when NetSuite is silent.
    assert settings.netsuite.concurrency is None
    assert settings.netsuite.fallback_concurrency == 5
    assert settings.netsuite.effective_chunk_size == 100


@pytest.mark.parametrize(
    ("account", "host", "realm"),
    [
        ("1234567", "1234567", "1234567"),
        ("1234567_SB1", "1234567-sb1", "1234567_SB1"),
        ("1234567_sb2", "1234567-sb2", "1234567_SB2"),
    ],
)
def test_soap_url_and_realm_follow_the_account_id(account: str, host: str, realm: str) -> None:
    ns = load_settings(netsuite={"account_id": account, "endpoint_version": "2024_2"}).netsuite
    assert ns.resolved_soap_url == f"https://{host}.suitetalk.api.netsuite.com/services/NetSuitePort_2024_2"
    assert ns.realm == realm


def test_soap_url_can_be_overridden() -> None:
    ns = load_settings(netsuite={"soap_url": "http://127.0.0.1:9000/services/NetSuitePort_2025_2/"}).netsuite
    assert ns.resolved_soap_url == "http://127.0.0.1:9000/services/NetSuitePort_2025_2"


@pytest.mark.parametrize("url", ["http://example.com/x", "http://10.0.0.1/x", "ftp://127.0.0.1/x"])
def test_plain_http_is_refused_off_loopback(url: str) -> None:
    with pytest.raises(ValueError, match="refusing"):
        check_endpoint(url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:1/x", "http://localhost/x", "http://[::1]:8/x", "https://a.b/x"]
)
def test_https_and_loopback_http_are_accepted(url: str) -> None:
    assert check_endpoint(url) == url


def test_toml_file_then_environment_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "bulk-o2c.toml"
    cfg.write_text('[netsuite]\naccount_id = "999_SB1"\nconcurrency = 7\n')
    monkeypatch.setenv("BULK_O2C_NETSUITE__CONCURRENCY", "3")
    settings = load_settings(cfg)
    assert settings.netsuite.account_id == "999_SB1"
    assert settings.netsuite.concurrency == 3


def test_secret_from_env_reference_and_file_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_file = tmp_path / "ts"
    secret_file.write_text(SECRET + "\n")
    monkeypatch.setenv("MY_CK", "consumer-from-env")
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[netsuite]\nconsumer_key = {{ env = "MY_CK" }}\ntoken_secret = {{ file = "{secret_file}" }}\n'
    )
    ns = load_settings(cfg).netsuite
    assert ns.consumer_key is not None
    assert ns.consumer_key.get_secret_value() == "consumer-from-env"
    assert ns.token_secret is not None
    assert ns.token_secret.get_secret_value() == SECRET


def test_secrets_never_show_in_repr_str_or_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BULK_O2C_NETSUITE__TOKEN_SECRET", SECRET)
    settings = load_settings()
    assert settings.netsuite.token_secret is not None
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert SECRET not in text


def test_invalid_settings_are_reported_without_the_values(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[netsuite]\nconcurrency = "{SECRET}"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert "netsuite.concurrency" in str(info.value)
    assert SECRET not in str(info.value)


def test_missing_secret_reference_is_a_config_error(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[netsuite]\ntoken_secret = { env = "NOT_SET_ANYWHERE_123" }\n')
    with pytest.raises(ConfigError, match="NOT_SET_ANYWHERE_123"):
        load_settings(cfg)


def test_settings_without_secrets_leave_references_unread(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[netsuite]\ntoken_secret = { env = "NOT_SET_ANYWHERE_123" }\n'
        '[run]\nstate_dir = "/var/lib/bulk-o2c"\n'
    )
    settings = load_settings_without_secrets(cfg)
    assert settings.netsuite.token_secret is None
    assert settings.run.state_dir == Path("/var/lib/bulk-o2c")
    with pytest.raises(ConfigError, match="NOT_SET_ANYWHERE_123"):
        load_settings(cfg)  # and the next full load reads them again


def test_tba_credentials_are_required_by_name() -> None:
    with pytest.raises(ConfigError, match=r"netsuite\.consumer_key.*netsuite\.token_secret"):
        load_settings().netsuite.require_tba()


def test_missing_config_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_rest_follows_a_configured_soap_url() -> None:
    settings = NetSuiteSettings(account_id="1234567_SB1")
    assert settings.resolved_rest_url == "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest"
    moved = NetSuiteSettings(soap_url="http://127.0.0.1:8080/services/NetSuitePort_2025_2")
    assert moved.resolved_rest_url == "http://127.0.0.1:8080/services/rest"
    assert NetSuiteSettings(concurrency=3).fallback_concurrency == 3
