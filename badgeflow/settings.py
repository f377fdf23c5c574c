"""The one typed settings tree, read from ``BADGEFLOW_*`` variables and an optional TOML file.

Precedence, highest first: arguments passed to `Settings(...)`, environment variables
(``BADGEFLOW_DATABASE__URL``; nested groups joined with ``__``), the TOML file named by
``BADGEFLOW_CONFIG`` (default ``./badgeflow.toml`` when present), then the defaults below, which
run everything locally under ``./var/``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from badgeflow.errors import ConfigurationError

__all__ = [
    "CanvasSourceSettings",
    "CsvSourceSettings",
    "DatabaseSettings",
    "IssuanceSettings",
    "MailSettings",
    "MoodleSourceSettings",
    "Settings",
    "SigningSettings",
    "SiteSettings",
    "SourceSettings",
    "did_web_from_url",
]

CONFIG_ENV = "BADGEFLOW_CONFIG"
DEFAULT_CONFIG_FILE = Path("badgeflow.toml")


class DatabaseSettings(BaseModel):
    """Where badgeflow keeps its state."""

    url: str = Field(
        "sqlite:///var/badgeflow.db",
        description="SQLAlchemy URL. SQLite by default; postgresql+psycopg://... for scale.",
        min_length=1,
    )


class SigningSettings(BaseModel):
    """The issuer's signing keys and the DID method that names them."""

    keys_dir: Path = Field(
        Path("var/keys"),
        description="The keyring folder (mode 0700): one encrypted PKCS#8 PEM per key "
        "(mode 0600) and the public manifest keyring.json; created by `badgeflow init`, "
        "grown by `badgeflow keys rotate`.",
    )
    passphrase: SecretStr | None = Field(
        None,
        description="Passphrase the key files are encrypted with. Unset: keys are stored "
        "unencrypted (file mode 0600); set it for anything but a demo.",
    )
    method: Literal["did:web", "did:key"] = Field(
        "did:web",
        description="DID method of the issuer: did:web (derived from site.base_url; every "
        "key, current and retired, published in did.json) or did:key (the current key "
        "itself; rotating changes the issuer id).",
    )
    key_path: Path = Field(
        Path("var/keys/issuer-ed25519.pem"),
        description="Legacy: the single key file of badgeflow before the keyring. When "
        "keys_dir has no keyring.json, this file is used (and adopted by `badgeflow init` or "
        "the first rotation) as key key_id.",
    )
    key_id: str = Field(
        "key-1",
        description="Legacy: the id (did:web:...#key-1) of the key_path key when it is adopted.",
        pattern=r"^[A-Za-z0-9._-]+$",
    )


class SiteSettings(BaseModel):
    """The static verification site."""

    base_url: str = Field(
        "http://localhost:8000",
        description="Public base URL of the verification site. The issuer DID is did:web "
        "derived from it; use https in production.",
    )
    output_dir: Path = Field(Path("var/site"), description="Folder the site is written to.")

    @field_validator("base_url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"site base_url must be an absolute http(s) URL, got {value!r}")
        if parts.query or parts.fragment:
            raise ValueError("site base_url must not have a query or fragment")
        return value.rstrip("/")

    @property
    def issuer_did(self) -> str:
        """The issuer's did:web identifier, derived from `base_url`."""
        return did_web_from_url(self.base_url)


class MailSettings(BaseModel):
    """How award emails leave the building."""

    transport: Literal["file", "smtp"] = Field(
        "file", description="`file` writes .eml files to outbox_dir; `smtp` sends them."
    )
    outbox_dir: Path = Field(Path("var/outbox"), description="Folder for the file transport.")
    from_address: str = Field(
        "Badgeflow Academy <badges@localhost>", description="From: header of award emails."
    )
    smtp_host: str = Field("localhost", description="SMTP server host.")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP server port.")
    smtp_username: str | None = Field(None, description="SMTP login, if the server needs one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(False, description="Upgrade the connection with STARTTLS.")
    smtp_timeout_seconds: float = Field(30.0, gt=0, le=600, description="SMTP socket timeout.")


class _SourceBase(BaseModel):
    name: str = Field(
        description="Unique name of this source; part of every record key.",
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
    )
    overlap: timedelta = Field(
        timedelta(days=1),
        ge=timedelta(0),
        description="Incremental pulls start this long before the source's watermark, so a "
        "record the LMS writes late (cron, clock skew) is still read; ISO 8601 (P1D, PT6H) "
        "or seconds.",
    )


class CsvSourceSettings(_SourceBase):
    """A completion export file: badgeflow's canonical CSV layout or an LMS's own report."""

    kind: Literal["csv"] = "csv"
    path: Path = Field(description="Path of the CSV file.")
    format: Literal[
        "auto",
        "badgeflow",
        "moodle",
        "canvas",
        "talentlms",
        "docebo",
        "cornerstone",
        "litmos",
        "360learning",
        "blackboard",
    ] = Field(
        "auto",
        description="Layout of the file: `auto` recognises it from the header row; or a "
        "vendor's report name, or `badgeflow` for the canonical layout.",
    )
    course_id: str | None = Field(
        None,
        min_length=1,
        description="Course of a single-course report without a course column (Moodle "
        "completion report, Canvas gradebook, Blackboard Grade Center), as in the catalog.",
    )
    course_name: str | None = Field(
        None, min_length=1, description="Title of that course, when the report has none."
    )
    timezone: str = Field(
        "UTC",
        description="IANA time zone of dates written without an offset (most LMS reports "
        "print local time), e.g. Europe/Paris.",
    )
    date_formats: list[str] = Field(
        default_factory=list,
        description="Extra strptime formats for dates (e.g. `%d.%m.%Y %H:%M`), tried after "
        "ISO 8601 and before the report's own.",
    )
    score_column: str | None = Field(
        None,
        min_length=1,
        description="Canvas/Blackboard: the grade column the score comes from (a header as "
        "written or the grade item's name); default `Final Score` (Canvas), `Total` "
        "(Blackboard). Setting it marks the score as a final assessment.",
    )
    pass_score: float | None = Field(
        None,
        ge=0,
        le=100,
        description="Canvas/Blackboard gradebooks have no completion status: a score (percent) "
        "at or above this counts as completed. Required for them.",
    )
    score_scale: Literal["percent", "fraction"] = Field(
        "percent",
        description="How bare score numbers are written: `percent` (85) or `fraction` (0.85); "
        "a value with `%` is always a percentage.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class _HttpSourceBase(_SourceBase):
    timeout_seconds: float = Field(30.0, gt=0, le=600, description="HTTP timeout per request.")
    retry_attempts: int = Field(
        4,
        ge=1,
        le=10,
        description="Requests per API call before a transient failure (throttling, 5xx, "
        "timeout) is given up to the task's slower retries; 1 = no retry.",
    )
    retry_max_wait_seconds: float = Field(
        60.0,
        ge=0,
        le=3600,
        description="Most seconds one API call may spend waiting between its retries "
        "(exponential backoff with full jitter, or the server's Retry-After).",
    )


class MoodleSourceSettings(_HttpSourceBase):
    """A Moodle site read through its web services (REST, JSON)."""

    kind: Literal["moodle"] = "moodle"
    base_url: str = Field(description="Moodle site root, e.g. https://moodle.example.edu.")
    token: SecretStr = Field(description="Web service token (wstoken).")
    course_ids: list[str] = Field(
        default_factory=list, description="Courses to read; empty reads every visible course."
    )
    final_assessment: str | None = Field(
        None,
        description="idnumber or name of the grade item that holds the final assessment; "
        "unset uses the course total.",
    )


class CanvasSourceSettings(_HttpSourceBase):
    """A Canvas LMS read through its REST API with an access token."""

    kind: Literal["canvas"] = "canvas"
    base_url: str = Field(description="Canvas root, e.g. https://school.instructure.com.")
    token: SecretStr = Field(description="Access token (sent as Authorization: Bearer).")
    course_ids: list[str] = Field(
        default_factory=list,
        description="Course ids, or sis_course_id:<id>; empty reads the token user's courses.",
    )
    final_assessment: str | None = Field(
        None,
        description="id or name of the assignment holding the final assessment; unset uses "
        "the enrollment's final score.",
    )
    per_page: int = Field(100, ge=1, le=100, description="Items per page (Canvas caps at 100).")


SourceSettings = Annotated[
    CsvSourceSettings | MoodleSourceSettings | CanvasSourceSettings, Field(discriminator="kind")
]


StatusPurposeName = Literal["revocation", "suspension"]
CredentialFormat = Literal["data-integrity", "vc-jwt"]


def _default_status_purposes() -> list[StatusPurposeName]:
    return ["revocation"]


def _default_formats() -> list[CredentialFormat]:
    return ["data-integrity"]


class IssuanceSettings(BaseModel):
    """Batch shape of the nightly run."""

    chunk_size: int = Field(
        250,
        ge=1,
        le=10_000,
        description="Credentials signed (and emails sent) per Prefect task run.",
    )
    status_purposes: list[StatusPurposeName] = Field(
        default_factory=_default_status_purposes,
        min_length=1,
        description=(
            "Bitstring Status List entries each new credential carries. OB 3.0 allows one "
            "credentialStatus (its JSON Schema expects an object), so the default is "
            "revocation only; adding suspension writes an array (valid VC 2.0, outside OB 3.0)."
        ),
    )

    recipient_identity: Literal["hashed_email", "email", "did"] = Field(
        "hashed_email",
        description=(
            "How credentials name the learner: hashed_email (salted SHA-256 of the trimmed, "
            "lower-cased address; a new salt per credential), email (the address in clear, "
            "hashed: false; the site then publishes the page but never the file) or did "
            "(credentialSubject.id = the learner's DID, taken from the learner_id of the "
            "completion that earned the award; awards without one are not issued)."
        ),
    )

    ob2: Literal["off", "hosted", "signed"] = Field(
        "hosted",
        description=(
            "Open Badges 2.0 copies on the site for systems still on 2.0 (Moodle's backpack, "
            "older wallets): hosted assertions (JSON at their URL), signed ones (an RS256 JWS "
            "and a hosted CryptographicKey), or off."
        ),
    )

    formats: list[CredentialFormat] = Field(
        default_factory=_default_formats,
        description=(
            "Proof formats of each new credential: data-integrity (the embedded eddsa-rdfc-2022 "
            "proof; always on, the site and baked images use it) and, optionally, vc-jwt (the "
            "same credential, proof included, wrapped in a VC-JWT published as "
            "credentials/<id>.jwt)."
        ),
    )
    jwt_alg: Literal["RS256", "ES256"] = Field(
        "RS256",
        description=(
            "VC-JWT signing algorithm: RS256 (RSA 3072, the one OB 3.0 requires every verifier "
            "to support) or ES256 (P-256, smaller tokens)."
        ),
    )

    @field_validator("formats")
    @classmethod
    def _formats(cls, value: list[CredentialFormat]) -> list[CredentialFormat]:
        if "data-integrity" not in value:
            raise ValueError("issuance.formats must include data-integrity")
        if len(set(value)) != len(value):
            raise ValueError("issuance.formats lists a format twice")
        return value

    @field_validator("status_purposes")
    @classmethod
    def _distinct_purposes(cls, value: list[StatusPurposeName]) -> list[StatusPurposeName]:
        if len(set(value)) != len(value):
            raise ValueError("issuance.status_purposes lists a purpose twice")
        return value


class Settings(BaseSettings):
    """Root of all badgeflow settings."""

    model_config = SettingsConfigDict(
        env_prefix="BADGEFLOW_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    var_dir: Path = Field(Path("var"), description="Folder for local state (database, keys).")
    catalog_dir: Path = Field(Path("badge_catalog"), description="The badge catalog folder.")
    contracts_dir: Path = Field(Path("data_contracts"), description="The data contracts folder.")
    database: DatabaseSettings = Field(
        default_factory=DatabaseSettings, description="Where badgeflow keeps its state."
    )
    signing: SigningSettings = Field(
        default_factory=SigningSettings, description="The issuer's signing key."
    )
    site: SiteSettings = Field(
        default_factory=SiteSettings, description="The static verification site."
    )
    mail: MailSettings = Field(
        default_factory=MailSettings, description="How award emails are delivered."
    )
    issuance: IssuanceSettings = Field(
        default_factory=IssuanceSettings, description="Batch shape of the nightly run."
    )
    sources: list[SourceSettings] = Field(
        default_factory=list, description="Where completions come from (see README)."
    )

    @model_validator(mode="after")
    def _vc_jwt_needs_did_web(self) -> Settings:
        if "vc-jwt" in self.issuance.formats and self.signing.method != "did:web":
            raise ValueError(
                "issuance.formats vc-jwt needs signing.method did:web (its keys are published "
                "in the site's did.json)"
            )
        return self

    @model_validator(mode="after")
    def _unique_source_names(self) -> Settings:
        names = [s.name for s in self.sources]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"source names must be unique; repeated: {', '.join(duplicated)}")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Add the optional TOML file below the environment."""
        config_file = os.environ.get(CONFIG_ENV)
        if config_file and not Path(config_file).is_file():
            raise ConfigurationError(f"{CONFIG_ENV}={config_file!r}: no such file")
        path = Path(config_file) if config_file else DEFAULT_CONFIG_FILE
        toml = TomlConfigSettingsSource(settings_cls, toml_file=path if path.is_file() else None)
        return (init_settings, env_settings, toml)


def did_web_from_url(base_url: str) -> str:
    """Derive the did:web identifier of a site URL.

    Per the did:web method, the host (with its port percent-encoded as ``%3A``) comes first
    and path segments follow, joined with ``:``.

    Args:
        base_url: absolute http(s) URL of the site.

    Returns:
        The DID, e.g. ``did:web:badges.example.org`` or ``did:web:localhost%3A8000``.

    Examples:
        >>> did_web_from_url("https://example.org/badges")
        'did:web:example.org:badges'
    """
    parts = urlsplit(base_url)
    if not parts.hostname:
        raise ConfigurationError(f"cannot derive did:web from {base_url!r}: no host")
    host = parts.hostname if parts.port is None else f"{parts.hostname}%3A{parts.port}"
    segments = [quote(s, safe="") for s in parts.path.split("/") if s]
    return ":".join(["did:web", host, *segments])
