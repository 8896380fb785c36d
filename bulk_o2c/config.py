"""Settings: a TOML file (``bulk-o2c.toml`` or ``--config PATH``) with environment overrides.

Precedence, highest first: environment variables (``BULK_O2C_<SECTION>__<FIELD>``, e.g.
``BULK_O2C_NETSUITE__TOKEN_SECRET``), then the TOML file, then the defaults below.

Secrets never have to be written in the TOML. A secret field accepts a literal (from the
environment, usually), or a reference table in the TOML::

    token_secret = { env = "NS_TOKEN_SECRET" }        # read from that variable
    token_secret = { file = "/run/secrets/ns_token" }  # read from that file, trailing newline dropped

Secrets are held as ``SecretStr``: repr, str and JSON dumps show ``**********``.
"""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from bulk_o2c.errors import ConfigError
from bulk_o2c.loopback import is_allowed_endpoint
from bulk_o2c.mapping.settings import MappingSettings

DEFAULT_CONFIG_FILE = Path("bulk-o2c.toml")
ENV_PREFIX = "BULK_O2C_"


# Commands that only read the checkpoint (status, dlq) load settings without reading any secret,
# so a shell without the secrets exported can still look at a run.
_resolving_secrets: ContextVar[bool] = ContextVar("resolving_secrets", default=True)


def _resolve_secret(value: Any) -> Any:
    """Turn ``{env = NAME}`` / ``{file = PATH}`` references into the secret's text (None when
    settings are loaded without secrets)."""
    if not isinstance(value, dict):
        return value
    if not _resolving_secrets.get():
        return None
    if set(value) == {"env"}:
        name = str(value["env"])
        if name not in os.environ:
            raise ValueError(f"environment variable {name} is not set")
        return os.environ[name]
    if set(value) == {"file"}:
        path = Path(str(value["file"])).expanduser()
        try:
            return path.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ValueError(f"cannot read secret file {path}: {exc.strerror}") from None
    raise ValueError("a secret reference is a table with exactly one key: env or file")


# Every secret is optional: which ones a run needs depends on the auth flow chosen.
Secret = Annotated[SecretStr | None, BeforeValidator(_resolve_secret)]


def check_endpoint(url: str) -> str:
    """Refuse plain http anywhere but loopback: tokens and customer data travel in these requests."""
    if is_allowed_endpoint(url):
        return url.rstrip("/")
    raise ValueError(f"refusing {url!r}: only https, or http to a loopback address, is allowed")


class _Section(BaseModel):
    # inf and nan pass ``ge``/``le`` checks unnoticed and then break arithmetic far from the setting.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class NetSuiteSettings(_Section):
    account_id: str = Field("1234567_SB1", pattern=r"^[A-Za-z0-9_]+$")
    endpoint_version: str = Field("2025_2", pattern=r"^20\d\d_[12]$")
    soap_url: str | None = None
    consumer_key: Secret = None
    consumer_secret: Secret = None
    token_id: Secret = None
    token_secret: Secret = None
    concurrency: int | None = Field(
        None,
        ge=1,
        le=200,
        description="optional cap under the concurrency limit NetSuite reports for this integration",
    )
    chunk_size: int | None = Field(
        None, ge=1, le=1000, description="records per upsertList; default: the operation's cap"
    )
    request_timeout_s: float = Field(300.0, gt=0, le=840, description="well under NetSuite's 15 minutes")
    max_attempts: int = Field(8, ge=1, le=50)
    max_response_mib: int = Field(
        16, ge=1, le=1024, description="largest SOAP answer read, decompressed (1,000 outcomes: ~1 MiB)"
    )
    # OAuth 2.0 machine-to-machine, for REST calls.
    m2m_client_id: str | None = None
    m2m_certificate_id: str | None = None
    m2m_private_key: Secret = None
    m2m_algorithm: Literal["PS256", "ES256"] = "PS256"
    m2m_scopes: tuple[str, ...] = ("rest_webservices",)

    @field_validator("soap_url")
    @classmethod
    def _soap_url(cls, value: str | None) -> str | None:
        return None if value is None else check_endpoint(value)

    @property
    def realm(self) -> str:
        """The account id as TBA signs it: sandbox suffix upper case (``1234567_SB1``)."""
        return self.account_id.upper()

    @property
    def host_slug(self) -> str:
        """The account id as the host name spells it (``1234567-sb1``)."""
        return self.account_id.lower().replace("_", "-")

    @property
    def resolved_soap_url(self) -> str:
        if self.soap_url is not None:
            return self.soap_url
        return f"https://{self.host_slug}.suitetalk.api.netsuite.com/services/NetSuitePort_{self.endpoint_version}"

    @property
    def rest_base_url(self) -> str:
        return f"https://{self.host_slug}.suitetalk.api.netsuite.com/services/rest"

    @property
    def resolved_rest_url(self) -> str:
        """REST lives on the SOAP host: a configured ``soap_url`` moves both."""
        if self.soap_url is None:
            return self.rest_base_url
        parts = urlsplit(self.soap_url)
        return f"{parts.scheme}://{parts.netloc}/services/rest"

    @property
    def fallback_concurrency(self) -> int:
        """The concurrency when NetSuite does not report its limits: the cap, or the base pool."""
        from bulk_o2c.protocol.netsuite.limits import BASE_ACCOUNT_CONCURRENCY

        return self.concurrency if self.concurrency is not None else BASE_ACCOUNT_CONCURRENCY

    @property
    def effective_chunk_size(self) -> int:
        from bulk_o2c.protocol.netsuite.limits import UPSERT_LIST_MAX_RECORDS

        return self.chunk_size if self.chunk_size is not None else UPSERT_LIST_MAX_RECORDS

    def require_tba(self) -> tuple[SecretStr, SecretStr, SecretStr, SecretStr]:
        missing = [
            name
            for name in ("consumer_key", "consumer_secret", "token_id", "token_secret")
            if getattr(self, name) is None
        ]
        if missing:
            needed = ", ".join(f"netsuite.{name}" for name in missing)
            raise ConfigError(f"NetSuite token-based auth needs: {needed}")
        credentials = (self.consumer_key, self.consumer_secret, self.token_id, self.token_secret)
        key, secret, token, token_secret = (c for c in credentials if c is not None)
        return key, secret, token, token_secret


class SalesforceSettings(_Section):
    login_url: str = "https://login.salesforce.com"
    instance_url: str | None = None
    api_version: str = Field("62.0", pattern=r"^\d{2}\.0$")
    auth_flow: Literal["jwt", "client_credentials", "refresh_token"] = "jwt"
    client_id: str | None = None
    username: str | None = None
    private_key: Secret = None
    client_secret: Secret = None
    refresh_token: Secret = None
    refresh_token_file: Path | None = Field(None, description="where a rotated refresh token is saved")
    session_timeout_s: float = Field(7200.0, gt=60, description="the org's session timeout")
    refresh_margin: float = Field(0.25, gt=0, lt=1, description="renew when this share of the life is left")
    page_size: int = Field(50_000, ge=1, le=1_000_000, description="maxRecords for each results page")
    poll_initial_s: float = Field(0.5, gt=0, description="first wait between polls of a Bulk 2.0 job")
    poll_max_s: float = Field(
        10.0, gt=0, description="the wait doubles up to this (every poll is an API call)"
    )
    poll_timeout_s: float = Field(86_400.0, gt=0, description="a job still running then is aborted")
    max_body_mib: int = Field(
        128, ge=1, le=4096, description="largest answer read (a results page), decompressed"
    )
    body_timeout_s: float = Field(
        600.0, gt=0, description="longest time one answer (a results page) may take to arrive"
    )

    @field_validator("login_url", "instance_url")
    @classmethod
    def _urls(cls, value: str | None) -> str | None:
        return None if value is None else check_endpoint(value)


def _switched_off(value: Any) -> Any:
    """``false`` (TOML) or ``"false"`` / ``""`` (the environment) switches a write-back field off."""
    if value is False or (isinstance(value, str) and value.strip().lower() in ("", "false")):
        return None
    return value


# A Salesforce field the write-back sets, or None (``false`` in TOML or the environment): not written.
WritebackField = Annotated[
    Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")] | None,
    BeforeValidator(_switched_off),
]


class RunSettings(_Section):
    state_dir: Path = Field(Path(".bulk-o2c"), description="the checkpoint, reports and DLQ exports")
    delta_overlap_s: float = Field(
        600.0, ge=0, le=366 * 86_400, description="re-read this much of the previous window (at most a year)"
    )
    writeback: bool = Field(True, description="write NetSuite ids back to Salesforce")
    customer_id_field: WritebackField = "NetSuite_Customer_ID__c"
    sales_order_id_field: WritebackField = "NetSuite_Sales_Order_ID__c"
    sync_status_field: WritebackField = "NetSuite_Sync_Status__c"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", frozen=True
    )

    netsuite: NetSuiteSettings = NetSuiteSettings()
    salesforce: SalesforceSettings = SalesforceSettings()
    run: RunSettings = RunSettings()
    mapping: MappingSettings = MappingSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment beats the file: load_settings passes the file's tables as init values.
        return _Environment(settings_cls), init_settings


class _BadEnvironmentValue(ValueError):
    """An override that is not the JSON its setting needs; the message names the variable."""


class _Environment(EnvSettingsSource):
    """The ``BULK_O2C_*`` overrides. A value that must be JSON (a whole section, a list) and is not
    is reported by its variable's name, never with the value (it may be a secret)."""

    def decode_complex_value(self, field_name: str, field: FieldInfo | None, value: Any) -> Any:
        try:
            return super().decode_complex_value(field_name, field, value)  # type: ignore[arg-type]
        except ValueError as exc:
            # Only the value reaches this method: the variables holding exactly it are the culprits.
            names = sorted(
                name.upper()
                for name, text in self.env_vars.items()
                if text == value and name.upper().startswith(ENV_PREFIX)
            )
            variable = " or ".join(names) or f"{ENV_PREFIX}{field_name.upper()}"
            raise _BadEnvironmentValue(
                f"environment variable {variable} is not valid JSON ({exc}): fix or unset it "
                f"(a single setting is {ENV_PREFIX}<SECTION>__<FIELD>)"
            ) from None


def load_settings(path: Path | None = None, **overrides: dict[str, Any]) -> Settings:
    """Read settings from ``path`` (or ./bulk-o2c.toml when present) and the environment.

    Validation errors are reported without the offending input values, which may be secrets.
    """
    if path is not None and not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    toml = path if path is not None else (DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None)
    values: dict[str, Any] = {}
    if toml is not None:
        try:
            values = tomllib.loads(toml.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"cannot read {toml}: it is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
                f"{exc.start}): TOML files are UTF-8, save it as UTF-8"
            ) from None
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {toml}: {exc}") from None
    for section, fields in overrides.items():
        values.setdefault(section, {}).update(fields)
    try:
        return Settings(**values)
    except SettingsError as exc:
        found = exc.__cause__ if isinstance(exc.__cause__, _BadEnvironmentValue) else exc
        raise ConfigError(str(found)) from None
    except ValueError as exc:
        raise ConfigError(_describe_validation_error(exc)) from None


def load_settings_without_secrets(path: Path | None = None) -> Settings:
    """``load_settings`` for the commands that only read or mark the checkpoint: every ``{env}`` /
    ``{file}`` secret reference is left unread (None)."""
    token = _resolving_secrets.set(False)
    try:
        return load_settings(path)
    finally:
        _resolving_secrets.reset(token)


def _describe_validation_error(exc: ValueError) -> str:
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return "invalid settings"
    # One line, each setting named: it is what the operator greps a scheduler's log for.
    problems = (
        f"{'.'.join(str(p) for p in err['loc'])}{_set_by(err['loc'])}: {err['msg']}"
        for err in exc.errors(include_input=False, include_url=False)
    )
    return "invalid settings: " + "; ".join(problems)


def _set_by(loc: tuple[int | str, ...]) -> str:
    """`` (from BULK_O2C_...)`` when an environment variable gave the setting at ``loc``: it beats
    the file, so it is the one to fix."""
    present = {name.upper() for name in os.environ}
    for depth in range(len(loc), 0, -1):
        name = ENV_PREFIX + "__".join(str(part) for part in loc[:depth]).upper()
        if name in present:
            return f" (from {name})"
    return ""
