from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bulk_o2c.cli import app
from bulk_o2c.config import NetSuiteSettings, check_endpoint, load_settings, load_settings_without_secrets
from bulk_o2c.errors import ConfigError
from tests.support.cli import error_line

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


def _status(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """``bulk-o2c ARGS status``: the exit code and the one error line it printed."""
    result = CliRunner().invoke(app, [*args, "status"], env=env)
    return result.exit_code, error_line(result.output)


def test_a_toml_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    cfg = tmp_path / "latin1.toml"
    cfg.write_bytes('[mapping]\nsubsidiary_id = "Société"\n'.encode("latin-1"))
    code, line = _status("--config", str(cfg))
    assert code == 1
    assert f"cannot read {cfg}: it is not UTF-8 text" in line


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e300"])
def test_a_delta_overlap_that_is_not_a_sane_number_is_refused(tmp_path: Path, value: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"[run]\ndelta_overlap_s = {value}\n")
    code, line = _status("--config", str(cfg))
    assert code == 1
    assert "invalid settings: run.delta_overlap_s:" in line


@pytest.mark.parametrize(
    ("variable", "value"), [("BULK_O2C_RUN", "{bad"), ("BULK_O2C_NETSUITE__M2M_SCOPES", f"[{SECRET}")]
)
def test_an_environment_override_that_is_not_json_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, line = _status(env={variable: value})
    assert code == 1
    assert f"environment variable {variable} is not valid JSON" in line
    assert SECRET not in line


def test_an_invalid_environment_override_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, line = _status(env={"BULK_O2C_RUN__DELTA_OVERLAP_S": "soon"})
    assert code == 1
    assert "run.delta_overlap_s (from BULK_O2C_RUN__DELTA_OVERLAP_S): Input should be a valid number" in line


def test_every_write_back_field_can_be_switched_off_in_toml_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "bulk-o2c.toml"
    cfg.write_text("[run]\nsync_status_field = false\ncustomer_id_field = false\n")
    monkeypatch.setenv("BULK_O2C_RUN__SALES_ORDER_ID_FIELD", "false")
    run = load_settings(cfg).run
    assert (run.sync_status_field, run.customer_id_field, run.sales_order_id_field) == (None, None, None)

    monkeypatch.setenv("BULK_O2C_RUN__SYNC_STATUS_FIELD", "Integration_Status__c")
    assert load_settings(cfg).run.sync_status_field == "Integration_Status__c"
    monkeypatch.setenv("BULK_O2C_RUN__SYNC_STATUS_FIELD", "not a field")
    with pytest.raises(ConfigError, match=r"run\.sync_status_field"):
        load_settings(cfg)
