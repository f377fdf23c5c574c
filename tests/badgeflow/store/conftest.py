"""Database fixtures: every repository test runs on SQLite and, when configured, PostgreSQL.

PostgreSQL runs need ``BADGEFLOW_TEST_POSTGRES_URL`` (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/badgeflow_test``); the tests drop and recreate
badgeflow's tables in that database. Without the variable the postgres cases are deselected,
unless ``-m postgres`` asks for them explicitly: then they fail, so CI cannot pass silently.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import Engine, text

from badgeflow.store import make_engine, migrate, session_factory
from badgeflow.store.schema import Base

POSTGRES_ENV = "BADGEFLOW_TEST_POSTGRES_URL"


def _selects_postgres(markexpr: str) -> bool:
    return "postgres" in markexpr.replace("not postgres", "")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    if os.environ.get(POSTGRES_ENV) or _selects_postgres(config.getoption("markexpr") or ""):
        return
    postgres = [item for item in items if item.get_closest_marker("postgres")]
    if postgres:
        config.hook.pytest_deselected(items=postgres)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'badgeflow.db'}"
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.fail(
            f"{POSTGRES_ENV} is not set: the postgres-marked tests need a PostgreSQL URL such as "
            "postgresql+psycopg://postgres@127.0.0.1:5432/badgeflow_test",
            pytrace=False,
        )
    return url


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
