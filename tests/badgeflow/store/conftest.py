"""Database fixtures: repository tests run on SQLite and PostgreSQL (see tests/conftest.py)."""

from __future__ import annotations

import pytest

from badgeflow.store import make_engine, migrate, session_factory
from tests.db_schema import drop_schema


@pytest.fixture
def bare_engine(db_url):
    """An engine on an empty database (no schema)."""
    engine = make_engine(db_url)
    if engine.dialect.name != "sqlite":
        drop_schema(engine)
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
