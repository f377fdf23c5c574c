"""Session-wide test setup: quiet, offline Prefect and GX; the database a test runs on.

Tests that take the `db_url` fixture run on SQLite and on PostgreSQL. PostgreSQL runs need
``BADGEFLOW_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``);
they drop and recreate badgeflow's tables in that database. Locally, without the variable, the
postgres cases are deselected; under CI (``CI=true``) or ``-m postgres`` they are kept and fail
without it, so CI can never pass by silently leaving them out.
"""

from __future__ import annotations

import os
from functools import cache

# Before anything imports prefect or great_expectations.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


import pytest  # noqa: E402

POSTGRES_ENV = "BADGEFLOW_TEST_POSTGRES_URL"


def _selects_postgres(markexpr: str) -> bool:
    return "postgres" in markexpr.replace("not postgres", "")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    _deselect_postgres_without_a_database(config, items)


def _deselect_postgres_without_a_database(config, items):
    if (
        os.environ.get(POSTGRES_ENV)
        or os.environ.get("CI") == "true"
        or _selects_postgres(config.getoption("markexpr") or "")
    ):
        return
    postgres = [item for item in items if item.get_closest_marker("postgres")]
    if postgres:
        config.hook.pytest_deselected(items=postgres)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """A database URL: a fresh SQLite file, or the PostgreSQL test database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'badgeflow.db'}"
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.fail(
            f"{POSTGRES_ENV} is not set: the postgres-marked tests need a PostgreSQL URL such as "
            "postgresql+psycopg://postgres@127.0.0.1:5432/badgeflow_test",
            pytrace=False,
        )
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _worker_database(url, worker) if worker else url


@cache
def _worker_database(url: str, worker: str) -> str:
    """Give each pytest-xdist worker its own database (`make test` runs two workers).

    The tests drop and recreate badgeflow's tables, so two workers on one database would
    break each other: worker ``gw1`` uses ``<database>_gw1``, created on first use.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            found = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not found:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)
