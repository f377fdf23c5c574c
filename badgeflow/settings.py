"""The one typed settings tree, read from ``BADGEFLOW_*`` variables and an optional TOML file.

Precedence, highest first: arguments passed to `Settings(...)`, environment variables
(``BADGEFLOW_DATABASE__URL``; nested groups joined with ``__``), the TOML file named by
``BADGEFLOW_CONFIG`` (default ``./badgeflow.toml`` when present), then the defaults below, which
run everything locally under ``./var/``.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Final, Literal, get_args
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from badgeflow.errors import ConfigurationError

__all__ = [
    "BlackboardCourseSettings",
    "BlackboardSourceSettings",
    "CanvasSourceSettings",
    "ContractLimits",
    "ContractSettings",
    "CsvSourceSettings",
    "DoceboSourceSettings",
    "FactsSettings",
    "HttpSourceSettings",
    "DatabaseSettings",
    "IntakeSettings",
    "IdentitySettings",
    "IssuanceSettings",
    "MailSettings",
    "OpsSettings",
    "MoodleSourceSettings",
    "Settings",
    "SigningSettings",
    "SiteSettings",
    "SourceSettings",
    "WEBHOOK_VENDORS",
    "WebhookSourceSettings",
    "XapiSourceSettings",
    "did_web_from_url",
    "CornerstoneSourceSettings",
    "Learning360SourceSettings",
    "LitmosSourceSettings",
    "TalentLMSSourceSettings",
]

logger = logging.getLogger(__name__)

CONFIG_ENV = "BADGEFLOW_CONFIG"
DEFAULT_CONFIG_FILE = Path("badgeflow.toml")


class DatabaseSettings(BaseModel):
    """Where badgeflow keeps its state."""

    url: str = Field(
        "sqlite:///var/badgeflow.db",
        description="SQLAlchemy URL. SQLite by default; postgresql+psycopg://... for scale.",
        min_length=1,
    )
    pool_size: int = Field(
        5,
        ge=1,
        le=200,
        description="PostgreSQL: connections each process keeps open (SQLite ignores it).",
    )
    max_overflow: int = Field(
        10,
        ge=0,
        le=200,
        description="PostgreSQL: extra connections a process may open at a peak, closed after.",
    )
    pool_timeout_seconds: float = Field(
        30.0,
        gt=0,
        le=600,
        description="PostgreSQL: how long to wait for a free pooled connection before failing.",
    )
    pool_recycle_seconds: int = Field(
        1800,
        ge=60,
        le=86_400,
        description="PostgreSQL: replace pooled connections older than this (idle timeouts of "
        "proxies such as PgBouncer or a cloud load balancer).",
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
    index_credentials: bool = Field(
        False,
        description="Let search engines index credential pages (noindex and out of the "
        "sitemap otherwise). Accept, share and redirect pages are never indexed.",
    )

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
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        "none",
        description=(
            "none (plain, loopback relays only), starttls (upgrade after connecting, usually "
            "port 587) or tls (implicit TLS, usually port 465). Replaces smtp_starttls, which "
            "is still read: true means starttls."
        ),
    )
    smtp_ca_file: Path | None = Field(
        None, description="PEM file of CA certificates to trust for SMTP TLS (default: system)."
    )
    smtp_timeout_seconds: float = Field(30.0, gt=0, le=600, description="SMTP socket timeout.")
    smtp_max_per_minute: float | None = Field(
        None,
        gt=0,
        le=100_000,
        description="Send at most this many messages a minute (unset: no limit).",
    )
    max_attempts: int = Field(
        5, ge=1, le=50, description="Attempts per email before a transient failure is final."
    )
    retry_backoff_minutes: float = Field(
        15.0,
        gt=0,
        le=1440,
        description="Wait before the first retry; doubles after each failure, at most a day.",
    )
    send_lease_minutes: float = Field(
        30.0,
        gt=0,
        le=1440,
        description=(
            "An email recorded as sending for longer than this is presumed interrupted by a "
            "crash and resent (same Message-ID) by the next run."
        ),
    )
    smtp_connections: int = Field(
        1,
        ge=1,
        le=32,
        description=(
            "SMTP connections one send task uses in parallel (each sends its share of the "
            "chunk); the relay's per-client connection limit is the ceiling."
        ),
    )
    send_processes: int = Field(
        1,
        ge=1,
        le=64,
        description=(
            "Processes that render and send each chunk of emails (1: in the flow's own "
            "process). smtp_connections stays the total, shared out between them (each gets "
            "at least one), and smtp_max_per_minute the total rate. More pays on large "
            "batches: set it to the worker's cores."
        ),
    )
    pilot_recipients: list[str] = Field(
        default_factory=list,
        description=(
            "Pilot mode: only emails to these addresses are sent; the others are held (not "
            "sent, not failed) until the list is cleared."
        ),
    )
    pilot_achievements: list[str] = Field(
        default_factory=list,
        description="Pilot mode: only emails about these achievement ids are sent; others held.",
    )
    bounce_mailbox: Path | None = Field(
        None,
        description=(
            "Folder of bounce reports (a Maildir, or a folder of .eml files) read at the start "
            "of the notify stage and by `badgeflow bounces`."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _legacy_starttls(cls, data: object) -> object:
        if not isinstance(data, dict) or "smtp_starttls" not in data:
            return data
        data = dict(data)
        legacy = data.pop("smtp_starttls")
        wanted = "starttls" if str(legacy).strip().lower() in {"1", "true", "yes", "on"} else None
        current = data.get("smtp_security")
        if wanted and current not in (None, "starttls"):
            raise ValueError(f"mail.smtp_starttls = true contradicts smtp_security = {current!r}")
        if wanted and current is None:
            data["smtp_security"] = wanted
        logger.warning("mail.smtp_starttls is deprecated: use mail.smtp_security")
        return data

    @field_validator("pilot_recipients")
    @classmethod
    def _lower_pilot(cls, value: list[str]) -> list[str]:
        return [address.strip().lower() for address in value if address.strip()]

    @property
    def pilot(self) -> bool:
        """True when pilot mode holds back some emails."""
        return bool(self.pilot_recipients or self.pilot_achievements)


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
    rename_columns: dict[str, str] = Field(
        default_factory=dict,
        description="File header -> the label the format expects (see the README table), "
        "applied before the format is recognised: for reports whose column labels differ.",
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
    concurrency: int = Field(
        4,
        ge=1,
        le=16,
        description="Users whose web-service calls are in flight at once (1: one at a time); "
        "Moodle core sets no rate limit.",
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


class BlackboardCourseSettings(BaseModel):
    """How completion of one Blackboard Learn course is derived from its gradebook."""

    course: str = Field(
        description="courseId as shown in Learn (DS101), a primary id (_123_1), or a "
        "prefixed id (courseId:DS101, externalId:SIS.DS101)."
    )
    module_columns: list[str] = Field(
        default_factory=list,
        description="Gradebook columns that must be graded (primary id, externalId:<id>, "
        "finalGrade, or column name).",
    )
    final_column: str | None = Field(
        None, description="The column whose score is the learner's score (id or name)."
    )
    pass_threshold: float | None = Field(
        None, ge=0, le=100, description="Percentage the final column must reach; unset: graded."
    )
    module_pass_threshold: float | None = Field(
        None, ge=0, le=100, description="Percentage each module column must reach; unset: graded."
    )

    @model_validator(mode="after")
    def _names_a_column(self) -> BlackboardCourseSettings:
        if not self.module_columns and not self.final_column:
            raise ValueError(f"course {self.course}: set module_columns or final_column")
        return self


class BlackboardSourceSettings(_HttpSourceBase):
    """A Blackboard Learn site read through its public REST API (OAuth2 client credentials)."""

    kind: Literal["blackboard"] = "blackboard"
    base_url: str = Field(description="Learn host root, e.g. https://learn.example.edu.")
    client_id: str = Field(description="REST application key (from the developer portal).")
    client_secret: SecretStr = Field(description="REST application secret.")
    courses: list[BlackboardCourseSettings] = Field(
        min_length=1, description="Courses to read, each with its gradebook completion rule."
    )
    page_size: int = Field(100, ge=1, le=100, description="Items per page (limit; at most 100).")


class DoceboSourceSettings(_HttpSourceBase):
    """A Docebo platform read through its REST API with an OAuth2 API app."""

    kind: Literal["docebo"] = "docebo"
    base_url: str = Field(description="Platform root, e.g. https://academy.docebosaas.com.")
    client_id: str = Field(description="Client id of the API app (API and SSO > API Credentials).")
    client_secret: SecretStr = Field(description="Client secret of the API app.")
    username: str | None = Field(
        None,
        description="Login of the API user for the password grant; unset = client credentials.",
    )
    password: SecretStr | None = Field(None, description="Password of that user.")
    course_ids: list[int] = Field(
        default_factory=list, description="Numeric course ids; empty reads every course."
    )
    enrollment_endpoint: Literal["auto", "course", "learn"] = Field(
        "auto",
        description="course = /course/v1/courses/enrollments, learn = /learn/v1/enrollments, "
        "auto = course, falling back to learn when it is refused (403) or missing (404).",
    )
    page_size: int = Field(200, ge=1, le=200, description="Items per page (Docebo caps at 200).")

    @model_validator(mode="after")
    def _login_is_complete(self) -> DoceboSourceSettings:
        if (self.username is None) != (self.password is None):
            raise ValueError("docebo: the password grant needs both username and password")
        return self


class CornerstoneSourceSettings(_HttpSourceBase):
    """Cornerstone OnDemand read through its Reporting API with an Edge API client."""

    kind: Literal["cornerstone"] = "cornerstone"
    base_url: str = Field(description="Portal root, e.g. https://acme.csod.com.")
    client_id: str = Field(description="Edge API client id (OAuth2 client credentials).")
    client_secret: SecretStr = Field(description="Edge API client secret.")
    scope: str = Field(
        "vw_rpt_transcript:read vw_rpt_user:read vw_rpt_training:read",
        description="OAuth2 scopes to request: <view>:read per view, space-separated, or all.",
    )
    course_ids: list[str] = Field(
        default_factory=list,
        description="Learning object GUIDs to read; empty reads every transcript.",
    )
    completed_status_group: int | None = Field(
        11,
        description="user_lo_status_group_id meaning completed; unset counts any "
        "registration with a completion date.",
    )
    page_size: int = Field(
        1000, ge=1, le=1000, description="Rows per page (Prefer: odata.maxpagesize, max 1000)."
    )


class XapiSourceSettings(_HttpSourceBase):
    """An xAPI Learning Record Store read through ``GET /statements`` (Basic auth)."""

    kind: Literal["xapi"] = "xapi"
    base_url: str = Field(
        description="The LRS's xAPI endpoint, e.g. https://lrs.example.com/xapi/ "
        "(statements are read from <base_url>statements)."
    )
    key: str = Field(description="LRS client key (the Basic-auth user name).")
    secret: SecretStr = Field(description="LRS client secret (the Basic-auth password).")
    activities: dict[str, str] = Field(
        min_length=1,
        description="Activity IRI (the statement object id) -> catalog course id; "
        "statements about other activities are skipped and reported.",
    )
    limit: int = Field(
        100, ge=1, le=10_000, description="Statements per page (the LRS may send fewer)."
    )


WebhookVendor = Literal[
    "generic", "canvas", "docebo", "litmos", "360learning", "cornerstone", "moodle"
]
WEBHOOK_VENDORS: Final[tuple[str, ...]] = get_args(WebhookVendor)
WebhookAuth = Literal["hmac", "bearer", "header", "query"]


class WebhookSourceSettings(_SourceBase):
    """Completion events pushed to ``badgeflow intake serve`` at ``POST /hooks/<name>``."""

    kind: Literal["webhook"] = "webhook"
    vendor: WebhookVendor = Field(
        "generic",
        description="Payload format: generic (badgeflow's documented completion event, for "
        "Zapier/Make bridges) or the LMS that sends the events.",
    )
    auth: WebhookAuth | None = Field(
        None,
        description="How a delivery proves it is genuine: hmac (signed body with a timestamp; "
        "generic and 360learning), bearer (Authorization: Bearer <secret>), header (the secret "
        "in the `header` header) or query (?token=<secret>, for senders that only take a URL). "
        "Unset: hmac for generic and 360learning, header for the others.",
    )
    secret: SecretStr = Field(
        description="The HMAC key (360Learning: its whsec_... signing secret), or the token "
        "the sender presents; never logged."
    )
    previous_secret: SecretStr | None = Field(
        None, description="Also accepted while a secret is being rotated."
    )
    header: str = Field(
        "X-Badgeflow-Token",
        description="Header carrying the secret when auth = header (Cornerstone and Docebo "
        "custom headers).",
        pattern=r"^[A-Za-z0-9-]+$",
    )
    tolerance: timedelta = Field(
        timedelta(minutes=5),
        gt=timedelta(0),
        le=timedelta(hours=1),
        description="hmac: a signature timestamp further than this from the intake's clock "
        "is refused (replay window).",
    )
    score_source: str | None = Field(
        None,
        description="Name of another configured source (the same LMS's connector) asked for "
        "the score and missing learner details of events that carry none; unset: such "
        "completions are stored as not scored (score_kind none).",
    )
    database_url: str | None = Field(
        None, description="Database holding the stored events; unset: the main database.url."
    )
    _score_settings: object = PrivateAttr(None)

    @model_validator(mode="after")
    def _auth_fits_vendor(self) -> WebhookSourceSettings:
        if self.auth is None:
            self.auth = "hmac" if self.vendor in ("generic", "360learning") else "header"
        if self.auth == "hmac" and self.vendor not in ("generic", "360learning"):
            raise ValueError(
                f"webhook source {self.name}: {self.vendor} does not sign its webhooks; use "
                "auth = header, bearer or query"
            )
        return self

    @property
    def score_settings(self) -> SourceSettings | None:
        """The settings of `score_source`, resolved by `Settings` (None when unset)."""
        return self._score_settings  # type: ignore[return-value]


ObjectId = Annotated[str, Field(pattern=r"^[a-fA-F0-9]{24}$")]
"""A 24-hex MongoDB ObjectId, the id format of 360Learning."""


class Learning360SourceSettings(_HttpSourceBase):
    """A 360Learning platform read through API v2 with an OAuth2 API client."""

    kind: Literal["360learning"] = "360learning"
    base_url: str = Field(
        "https://app.360learning.com",
        description="Platform root: https://app.360learning.com (EU) or "
        "https://app.us.360learning.com (US).",
    )
    client_id: str = Field(description="API v2 client id (Settings > API v2 in 360Learning).")
    client_secret: SecretStr = Field(description="The API client's secret.")
    course_ids: list[ObjectId] = Field(
        default_factory=list,
        description="Course ids (24-hex); empty reads every course's statistics.",
    )
    path_ids: list[ObjectId] = Field(
        default_factory=list,
        description="Path ids (24-hex) read as well; a path completes when its session "
        "status is successful.",
    )


class TalentLMSSourceSettings(_HttpSourceBase):
    """A TalentLMS portal read through its v1 REST API with the API key."""

    kind: Literal["talentlms"] = "talentlms"
    base_url: str = Field(description="Portal root, e.g. https://academy.talentlms.com.")
    api_key: SecretStr = Field(description="API key (sent as the HTTP Basic user name).")
    course_ids: list[str] = Field(
        default_factory=list, description="Numeric course ids or course codes; empty reads all."
    )
    final_assessment: str | None = Field(
        None, description="id or name of the test unit whose score is used; unset: no score."
    )
    concurrency: int = Field(
        4,
        ge=1,
        le=16,
        description="Learners' status calls in flight at once (1: one at a time); the hourly "
        "API limit counts calls, not their overlap.",
    )


class LitmosSourceSettings(_HttpSourceBase):
    """An SAP Litmos account read through its Developer API with the API key."""

    kind: Literal["litmos"] = "litmos"
    base_url: str = Field(
        "https://api.litmos.com/v1.svc",
        description="API root: https://api.litmos.com/v1.svc (US), api.litmoseu.com (EU), "
        "api.litmos.com.au (AU).",
    )
    api_key: SecretStr = Field(description="API key (sent as the apikey header).")
    source_app: str = Field(
        "badgeflow",
        min_length=1,
        max_length=50,
        description="The source query parameter Litmos requires: this application's name.",
    )
    course_ids: list[str] = Field(
        default_factory=list, description="Litmos course ids; empty reads every course."
    )
    final_assessment: str | None = Field(
        None, description="id or name of the module whose score is used; unset: no score."
    )
    page_size: int = Field(1000, ge=1, le=1000, description="Items per page (limit, at most 1000).")


HttpSourceSettings = _HttpSourceBase
"""Any source read over HTTP (timeouts and retries)."""

SourceSettings = Annotated[
    CsvSourceSettings
    | MoodleSourceSettings
    | CanvasSourceSettings
    | BlackboardSourceSettings
    | DoceboSourceSettings
    | CornerstoneSourceSettings
    | WebhookSourceSettings
    | XapiSourceSettings
    | Learning360SourceSettings
    | TalentLMSSourceSettings
    | LitmosSourceSettings,
    Field(discriminator="kind"),
]


class IntakeSettings(BaseModel):
    """The webhook intake server (`badgeflow intake serve`)."""

    max_body_bytes: int = Field(
        1_048_576, ge=1024, le=64 * 1_048_576, description="Larger deliveries get 413."
    )
    trigger_deployment: str | None = Field(
        None,
        description="Prefect deployment (flow-name/deployment-name) started, for the "
        "event's source, after events are stored; unset: they wait for the next scheduled run.",
    )
    trigger_min_interval_seconds: float = Field(
        300.0,
        ge=0,
        le=86_400,
        description="At most one triggered run per source this often; later events in the "
        "window are picked up by that run or the next.",
    )


AccessLogFormat = Literal["combined", "cloudfront"]
MailEventFormat = Literal["sendgrid"]


class AccessLogSettings(BaseModel):
    """One web server or CDN access log of the verification site."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Unique name among access logs and mail event sources (its read position "
        "is saved under it).",
    )
    path: str = Field(
        description="Glob of the log files, rotated and gzipped ones included, e.g. "
        "/var/log/nginx/badges.access.log*; files are recognised by their first line, so a "
        "renamed (rotated) file is never read twice."
    )
    format: AccessLogFormat = Field(
        "combined",
        description="combined: nginx's and Apache's combined format; cloudfront: Amazon "
        "CloudFront standard logs (tab-separated, #Fields header).",
    )


class MailEventSettings(BaseModel):
    """A folder of a mail provider's event exports (delivered, open, click, bounce...)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Unique name among access logs and mail event sources (its read position "
        "is saved under it).",
    )
    path: str = Field(description="Glob of the export files (.json, .ndjson, .json.gz).")
    format: MailEventFormat = Field(
        "sendgrid", description="sendgrid: SendGrid Event Webhook JSON (an array or one per line)."
    )


class EngagementSettings(BaseModel):
    """Where engagement comes from and how it is counted (`engagement_metrics` flow)."""

    access_logs: list[AccessLogSettings] = Field(
        default_factory=list, description="Access logs of the verification site."
    )
    mail_events: list[MailEventSettings] = Field(
        default_factory=list, description="Mail provider event exports."
    )
    exclude_networks: list[str] = Field(
        default_factory=list,
        description="CIDR ranges of the issuer's own machines (office, monitoring): their "
        "requests are not counted at all.",
    )
    exclude_user_agents: list[str] = Field(
        default_factory=list,
        description="User-agent substrings of the issuer's own checks (case-insensitive): "
        "not counted at all.",
    )
    extra_bot_user_agents: list[str] = Field(
        default_factory=list,
        description="More user-agent substrings to count as bots, beside the built-in list.",
    )
    salt_days: int = Field(
        2,
        ge=1,
        le=31,
        description="Days each day's visitor-hash salt is kept, then destroyed: logs older "
        "than this that arrive late still count, but cannot be deduplicated against the hits "
        "of their day already read.",
    )
    dashboard_dir: Path | None = Field(
        None,
        description="Folder the metrics dashboard is written to; default <var_dir>/dashboard. "
        "Not inside the public site unless you choose so.",
    )

    @field_validator("exclude_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise ValueError(f"exclude_networks: {network!r} is not a CIDR range") from exc
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> EngagementSettings:
        names = [s.name for s in self.access_logs] + [s.name for s in self.mail_events]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"engagement source names must be unique; repeated: {duplicated}")
        return self


class ReportingSettings(BaseModel):
    """The read-only reporting API (GET /api/v1/...), served by `badgeflow intake serve`."""

    token: SecretStr | None = Field(
        None,
        description="Bearer token BI tools send; unset: the reporting API answers 404.",
    )
    previous_token: SecretStr | None = Field(
        None, description="Also accepted while a token rotation is under way."
    )
    max_rows: int = Field(
        100_000, ge=1, le=10_000_000, description="Largest page a request may ask for."
    )


class IdentitySettings(BaseModel):
    """How learners of different sources are recognised as one person."""

    mapping_file: Path | None = Field(
        None,
        description="CSV with columns source, learner, email: a source's learner id (or "
        "email) -> the learner's canonical email, applied at ingest. Unset: learners are "
        "matched by normalised email only.",
    )


class FactsSettings(BaseModel):
    """Facts criteria use that come from files an admin keeps (not from an LMS)."""

    cohorts_file: Path | None = Field(
        None,
        description="CSV learner_email,cohort[,joined_at]: cohort membership for `cohort:` "
        "criteria. Unset: no learner is in any cohort.",
    )
    attestations_file: Path | None = Field(
        None,
        description="CSV learner_email,attestation,attested_by,attested_at: sign-offs (a "
        "manager's) for `attested:` criteria. Unset: nothing is attested.",
    )


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
    sign_processes: int = Field(
        1,
        ge=1,
        le=64,
        description=(
            "Processes that sign and bake each chunk of credentials (1: in the flow's own "
            "process). More pays on large batches: set it to the worker's cores."
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


class ContractLimits(BaseModel):
    """One source's overrides of the batch-level contract rules (unset: the group's value)."""

    max_bad_row_fraction: float | None = Field(
        None, ge=0, le=1, description="Overrides contracts.max_bad_row_fraction for this source."
    )
    min_rows_for_bad_row_check: int | None = Field(
        None, ge=0, description="Overrides contracts.min_rows_for_bad_row_check for this source."
    )
    max_row_drop_fraction: float | None = Field(
        None, ge=0, le=1, description="Overrides contracts.max_row_drop_fraction for this source."
    )
    min_rows_for_drop_check: int | None = Field(
        None, ge=0, description="Overrides contracts.min_rows_for_drop_check for this source."
    )


class ContractSettings(BaseModel):
    """Batch-level contract rules: when a source's data is too broken to issue anything from."""

    max_bad_row_fraction: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Halt the batch when more than this fraction of a source's rows fail the "
        "contract (1 disables the rule).",
    )
    min_rows_for_bad_row_check: int = Field(
        20,
        ge=0,
        description="The bad-row rule applies only when the source gave at least this many "
        "rows: 1 bad row in a quiet night's 3 is not a broken export.",
    )
    max_row_drop_fraction: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Halt the batch when a source returns more than this fraction fewer rows "
        "than its previous successful batch read the same way (full or incremental); 1 "
        "disables the rule.",
    )
    min_rows_for_drop_check: int = Field(
        100,
        ge=0,
        description="The drop rule applies only when that previous read had at least this "
        "many rows, so tiny sources do not trip it.",
    )
    report_rows: int = Field(
        200,
        ge=0,
        le=100_000,
        description="Quarantined rows shown in each batch's validation.html (quarantine.csv "
        "always has them all).",
    )
    sources: dict[str, ContractLimits] = Field(
        default_factory=dict,
        description="Per-source overrides, keyed by source name ([contracts.sources.<name>]).",
    )


class OpsSettings(BaseModel):
    """What the people running badgeflow are told, and where they look."""

    alert_to: list[str] = Field(
        default_factory=list,
        description=(
            "Addresses emailed (through the mail settings) when a flow run fails: the batch, "
            "the failed stage, the error and links. Empty: no alert email."
        ),
    )
    prefect_ui_url: str | None = Field(
        None,
        description=(
            "Base URL of the Prefect UI (e.g. http://prefect.internal:4200), for links to the "
            "failed run in alerts. Unset: PREFECT_UI_URL, else no link."
        ),
    )
    reports_url: str | None = Field(
        None,
        description=(
            "URL where <var_dir>/reports is served to admins, for links to a batch's "
            "validation report in artifacts and alerts. Unset: the report's file path."
        ),
    )


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
    intake: IntakeSettings = Field(
        default_factory=IntakeSettings, description="The webhook intake server."
    )
    identity: IdentitySettings = Field(
        default_factory=IdentitySettings,
        description="How one learner is recognised across sources.",
    )
    contracts: ContractSettings = Field(
        default_factory=ContractSettings,
        description="Batch-level data contract rules (halts) and validation reports.",
    )
    facts: FactsSettings = Field(
        default_factory=FactsSettings,
        description="Cohort and attestation files that criteria can refer to.",
    )
    engagement: EngagementSettings = Field(
        default_factory=EngagementSettings,
        description="Engagement sources (access logs, mail events) and how they are counted.",
    )
    reporting: ReportingSettings = Field(
        default_factory=ReportingSettings, description="The read-only reporting API."
    )
    ops: OpsSettings = Field(
        default_factory=OpsSettings,
        description="Failure alerts and links for the people running badgeflow.",
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

    @model_validator(mode="after")
    def _contract_overrides_name_sources(self) -> Settings:
        unknown = sorted(set(self.contracts.sources) - {s.name for s in self.sources})
        if unknown:
            raise ValueError(f"contracts.sources names unknown source(s): {', '.join(unknown)}")
        return self

    @model_validator(mode="after")
    def _resolve_webhook_sources(self) -> Settings:
        by_name = {s.name: s for s in self.sources}
        for source in self.sources:
            if not isinstance(source, WebhookSourceSettings):
                continue
            if source.database_url is None:
                source.database_url = self.database.url
            if source.score_source is None:
                continue
            target = by_name.get(source.score_source)
            if target is None or isinstance(target, WebhookSourceSettings | CsvSourceSettings):
                raise ValueError(
                    f"webhook source {source.name}: score_source {source.score_source!r} must "
                    "name a configured LMS connector source"
                )
            source._score_settings = target
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
