"""PostgreSQL engines pool their connections as the settings say; SQLite ignores the pool."""

from __future__ import annotations

from sqlalchemy.pool import QueuePool

from badgeflow.store import make_engine


def test_a_postgresql_engine_pools_and_pings_as_configured():
    engine = make_engine(
        "postgresql+psycopg://badgeflow@127.0.0.1:1/badgeflow",  # never connected here
        pool_size=7,
        max_overflow=3,
        pool_timeout=4.5,
        pool_recycle=120,
    )
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    assert (pool.size(), pool._max_overflow, pool._timeout, pool._recycle) == (7, 3, 4.5, 120)
    assert pool._pre_ping is True
    engine.dispose()


def test_sqlite_ignores_the_pool_settings(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}", pool_size=7, pool_recycle=120)
    assert engine.pool._recycle == -1 and not engine.pool._pre_ping
    engine.dispose()
