"""Alembic environment: runs against the connection handed over by `badgeflow.store.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from badgeflow.store.schema import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: future revisions use batch ("copy and move") mode.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("badgeflow migrations need a connection or sqlalchemy.url")
    engine = create_engine(url)
    try:
        with engine.begin() as fresh:
            _run(fresh)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; use migrate(engine)")
run_migrations_online()
