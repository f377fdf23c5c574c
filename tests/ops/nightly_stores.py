"""Two badgeflow stores on PostgreSQL for the production-run test, and what they hold.

Each store has its own config TOML (database, keys, site, SMTP sink, a small chunk size so
issuing spans several task runs), all reading the same fake LMS servers. `snapshot` reads a
store back as plain, comparable values: learner ids and timings differ between two stores,
so rows are keyed by what identifies them (award key, source record, email address).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from tests.demo_env import initialise, settings_from, write_config

CHUNK_SIZE = 4


def psycopg_url(url: str) -> str:
    """The same database under badgeflow's driver (``postgresql+psycopg``)."""
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


OPS_ADDRESS = "ops@academy.example"
"""Where the stores' failure alerts go (``ops.alert_to``)."""


def write_store_config(
    root: Path, *, database_url: str, smtp_port: int, lms_urls: tuple[str, str, str]
) -> Path:
    """The demo config (`tests.demo_env.write_config`) on PostgreSQL, SMTP and small chunks."""
    root.mkdir(parents=True, exist_ok=True)
    config = write_config(root, *lms_urls)
    sqlite = f'url = "sqlite:///{root / "var" / "badgeflow.db"}"'
    body = config.read_text(encoding="utf-8")
    assert sqlite in body, "tests.demo_env.write_config changed: update write_store_config"
    body = body.replace(sqlite, f'url = "{database_url}"').replace(
        "[mail]\n",
        f'[mail]\ntransport = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp_port}\n'
        'smtp_security = "none"\n',
    )
    body += f"\n[issuance]\nchunk_size = {CHUNK_SIZE}\n"
    body += f'\n[ops]\nalert_to = ["{OPS_ADDRESS}"]\n'  # failure alerts go to the same sink
    config.write_text(body, encoding="utf-8")
    initialise(settings_from(config))  # keys and schema, as `badgeflow init` does
    return config


@dataclass(frozen=True)
class StoreSnapshot:
    """One store's batch, completions, quarantine, awards, credentials, outbox and site."""

    batch: dict[str, Any]
    completions: list[tuple[Any, ...]]
    quarantined: list[tuple[Any, ...]]
    awards: list[tuple[Any, ...]]
    credentials: dict[str, str]
    """Credential id -> award key of the award it certifies."""
    credentials_per_award: dict[str, int]
    outbox: list[tuple[Any, ...]]
    """(credential id, kind, status, Message-ID) per email row."""
    site_credentials: set[str]
    """Names of the credential JSON files the site publishes."""


def _rows(engine: Engine, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def progress(engine: Engine, batch_id: str) -> tuple[int, int]:
    """(awards, credentials) the batch has recorded so far."""
    ((awards, credentials),) = _rows(
        engine,
        "SELECT (SELECT count(*) FROM awards WHERE batch_id = :b),"
        " (SELECT count(*) FROM credentials WHERE batch_id = :b)",
        b=batch_id,
    )
    return int(awards), int(credentials)


def batch_row(engine: Engine, batch_id: str) -> dict[str, Any]:
    """The ledger's row of the batch ({} when it does not exist)."""
    rows = _rows(
        engine,
        "SELECT status, stages, summary, flow_run_id FROM batches WHERE id = :b",
        b=batch_id,
    )
    if not rows:
        return {}
    status, stages, summary, flow_run_id = rows[0]
    return {"status": status, "stages": stages, "summary": summary, "flow_run_id": flow_run_id}


def snapshot(database_url: str, batch_id: str, site_dir: Path) -> StoreSnapshot:
    """Read a store back as comparable values (see the module docstring)."""
    engine = create_engine(database_url)
    try:
        completions = _rows(
            engine,
            "SELECT c.source, c.source_record_id, l.email, c.course_id, c.completed,"
            " c.completed_at, c.score, c.first_batch_id = :b, c.last_batch_id = :b"
            " FROM completions c JOIN learners l ON l.id = c.learner_id",
            b=batch_id,
        )
        quarantined = _rows(
            engine,
            "SELECT source, row_number, record_key, reason, batch_id = :b FROM quarantined_rows",
            b=batch_id,
        )
        awards = _rows(
            engine,
            "SELECT a.award_key, a.achievement_id, l.email, a.valid_from, a.valid_until,"
            " a.score, a.status, a.batch_id = :b FROM awards a JOIN learners l"
            " ON l.id = a.learner_id",
            b=batch_id,
        )
        credentials = _rows(
            engine,
            "SELECT c.id, a.award_key FROM credentials c JOIN awards a ON a.id = c.award_id",
        )
        per_award = _rows(
            engine,
            "SELECT a.award_key, count(c.id) FROM awards a LEFT JOIN credentials c"
            " ON c.award_id = a.id GROUP BY a.award_key",
        )
        outbox = _rows(engine, "SELECT credential_id, kind, status, message_id FROM email_outbox")
        batch = batch_row(engine, batch_id)
    finally:
        engine.dispose()
    return StoreSnapshot(
        batch=batch,
        completions=sorted(completions, key=repr),
        quarantined=sorted(quarantined, key=repr),
        awards=sorted(awards, key=repr),
        credentials={str(cid): str(key) for cid, key in credentials},
        credentials_per_award={str(key): int(n) for key, n in per_award},
        outbox=sorted(outbox, key=repr),
        site_credentials={p.name for p in (site_dir / "credentials").glob("*.json")},
    )
