"""Database fixtures: repository tests run on SQLite and PostgreSQL (see tests/conftest.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from badgeflow.store import make_engine, migrate, session_factory
from badgeflow.store.schema import Base


def _drop_everything(engine: Engine) -> None:
    Base.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def bare_engine(db_url):
    """An engine on an empty database (no schema)."""
    engine = make_engine(db_url)
    if engine.dialect.name != "sqlite":
        _drop_everything(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(bare_engine):
    """An engine on a freshly migrated database."""
    migrate(bare_engine)
    return bare_engine


@pytest.fixture
def sessions(engine):
    return session_factory(engine)
