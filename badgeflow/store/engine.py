"""Engines, sessions and schema migrations (Alembic, configured in code, no alembic.ini)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from badgeflow.errors import ConfigurationError, StoreError

__all__ = [
    "MIGRATIONS_DIR",
    "check_schema",
    "current_revision",
    "head_revision",
    "make_engine",
    "migrate",
    "session_factory",
]

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
"""The Alembic script directory, shipped inside the package."""


def _json_default(value: object) -> str:
    # Raw LMS payloads may carry dates or decimals; keep them readable rather than fail.
    return str(value)


def _dumps(value: object) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False)


def make_engine(
    url: str,
    *,
    pool_size: int | None = None,
    max_overflow: int | None = None,
    pool_timeout: float | None = None,
    pool_recycle: int | None = None,
) -> Engine:
    """Create an engine for a SQLAlchemy URL.

    For a SQLite file the parent folder is created, and every connection turns on foreign
    keys and WAL journaling. An in-memory SQLite database uses one shared connection, so
    every session and thread sees the same (migrated) data. Any other database (PostgreSQL)
    gets a connection pool that checks a connection before handing it out
    (``pool_pre_ping``: a database restart or a proxy's idle timeout costs a reconnect, not
    a failed task), sized by the ``database.pool_*`` settings; SQLite ignores them.

    Args:
        url: e.g. ``sqlite:///var/badgeflow.db`` or ``postgresql+psycopg://u:p@host/db``.
        pool_size: connections kept open per process (SQLAlchemy's default when None).
        max_overflow: extra connections opened at a peak.
        pool_timeout: seconds to wait for a free connection.
        pool_recycle: replace connections older than this many seconds.

    Returns:
        The engine (no connection is opened yet).

    Raises:
        ConfigurationError: the URL is malformed or names a driver that is not installed.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(f"invalid database URL: {exc}") from exc
    kwargs: dict[str, Any] = {"json_serializer": _dumps}
    is_sqlite = parsed.get_backend_name() == "sqlite"
    in_memory = is_sqlite and parsed.database in (None, "", ":memory:")
    if in_memory:
        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"] = {"check_same_thread": False}
    elif is_sqlite and parsed.database and not parsed.database.startswith("file:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    if not is_sqlite:
        kwargs["pool_pre_ping"] = True
        pool = {
            "pool_size": pool_size,
            "max_overflow": max_overflow,
            "pool_timeout": pool_timeout,
            "pool_recycle": pool_recycle,
        }
        kwargs.update({name: value for name, value in pool.items() if value is not None})
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ConfigurationError(f"cannot create a database engine: {exc}") from exc
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas(wal=not in_memory))
    return engine


def _sqlite_pragmas(*, wal: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
        finally:
            cursor.close()

    return on_connect


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Build the session factory the repository functions expect.

    Repository functions never commit: the caller owns the transaction, typically
    ``with factory() as session, session.begin(): ...``.

    Args:
        engine: from `make_engine`.

    Returns:
        A factory of sessions that keep loaded values after commit.
    """
    return sessionmaker(engine, expire_on_commit=False)


def _alembic_config() -> Config:
    config = Config()
    # configparser interpolates '%': escape it so any install path works.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database schema (``alembic upgrade head``), in one transaction.

    Args:
        engine: the database to upgrade.
        revision: target revision; ``head`` unless testing migrations themselves.

    Raises:
        StoreError: the database cannot be reached or the upgrade failed.
    """
    config = _alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except SQLAlchemyError as exc:
        raise StoreError(f"database migration failed: {exc}") from exc
    logger.info("database schema upgraded to %s", revision)


def head_revision() -> str:
    """Return the newest revision the code knows about."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise StoreError("no Alembic revisions found in the package")
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the database's schema revision (None for an empty database).

    Raises:
        StoreError: the database cannot be reached.
    """
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read the database schema revision: {exc}") from exc


def check_schema(engine: Engine) -> None:
    """Make sure the database schema is at the revision this code expects.

    Raises:
        StoreError: the database is unreachable, empty, or at another revision.
    """
    current, head = current_revision(engine), head_revision()
    if current != head:
        found = "an empty database" if current is None else f"revision {current}"
        raise StoreError(
            f"database schema is out of date: found {found}, code expects {head}. "
            "Run the migrations first (`badgeflow.store.migrate(engine)`)."
        )
