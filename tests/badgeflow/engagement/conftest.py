"""One migrated database per test module (SQLite; PostgreSQL in CI) with two credentials.

Migrating takes about a second, so a module shares one database and each test starts from
empty engagement tables (`credentials`).
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import delete, update

from badgeflow.store import insert_awards, make_engine, migrate, save_credentials, session_factory
from badgeflow.store.schema import Credential, EngagementCursor, EngagementHit, EngagementSalt
from tests.badgeflow.store.factories import award, awards_frame, new_credential
from tests.conftest import POSTGRES_ENV, _worker_database
from tests.db_schema import drop_schema

C1 = "11111111-1111-4111-8111-111111111111"
C2 = "22222222-2222-4222-8222-222222222222"
T1 = "a" * 32
T2 = "b" * 32


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def engagement_sessions(request, tmp_path_factory):
    """A session factory on a migrated database holding C1 (accept token T1) and C2 (T2)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('engagement') / 'badgeflow.db'}"
    else:
        url = os.environ.get(POSTGRES_ENV)
        if not url:
            pytest.fail(f"{POSTGRES_ENV} is not set: the postgres-marked tests need it")
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        url = _worker_database(url, worker) if worker else url
    engine = make_engine(url)
    if engine.dialect.name != "sqlite":
        drop_schema(engine)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        a1, a2 = insert_awards(session, awards_frame(award("k1"), award("k2")), batch_id="b1")
        save_credentials(session, [new_credential(a1, C1), new_credential(a2, C2)])
        for credential_id, token in ((C1, T1), (C2, T2)):
            session.execute(
                update(Credential).where(Credential.id == credential_id).values(accept_token=token)
            )
    yield sessions
    engine.dispose()


@pytest.fixture
def credentials(engagement_sessions):
    """The module's database with empty engagement tables (hits, cursors, salts)."""
    with engagement_sessions.begin() as session:
        for table in (EngagementHit, EngagementCursor, EngagementSalt):
            session.execute(delete(table))
    return engagement_sessions
