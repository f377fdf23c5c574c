"""Emptying a shared test database: badgeflow's views, tables and Alembic's version table."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from badgeflow.store.schema import Base


def drop_schema(engine: Engine) -> None:
    """Drop the metrics views first (PostgreSQL refuses to drop a table a view reads)."""
    with engine.begin() as connection:
        for view in inspect(connection).get_view_names():
            connection.execute(text(f"DROP VIEW {view}"))
    Base.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
