"""Engines, migrations and the schema check."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from badgeflow.errors import ConfigurationError, StoreError
from badgeflow.store import (
    check_schema,
    current_revision,
    head_revision,
    make_engine,
    migrate,
    session_factory,
)
from badgeflow.store.schema import Award, Base, Learner
from tests.badgeflow.store.factories import EXPECTED_TABLES


def test_migrate_creates_every_table(bare_engine):
    assert current_revision(bare_engine) is None
    migrate(bare_engine)
    tables = set(inspect(bare_engine).get_table_names())
    assert EXPECTED_TABLES <= tables
    assert {t.name for t in Base.metadata.sorted_tables} == EXPECTED_TABLES
    assert current_revision(bare_engine) == head_revision() == "0011"


def test_migrate_twice_is_a_no_op(engine):
    migrate(engine)
    check_schema(engine)


def test_check_schema_fails_before_migrate(bare_engine):
    with pytest.raises(StoreError, match="empty database.*expects 0011"):
        check_schema(bare_engine)
    migrate(bare_engine)
    check_schema(bare_engine)


def test_check_schema_names_an_older_revision(engine):
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(StoreError, match="found revision 0000"):
        check_schema(engine)


def test_models_match_migrations(engine):
    """A model change without a new revision fails here."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_foreign_keys_are_enforced(sessions):
    when = datetime(2026, 1, 1, tzinfo=UTC)
    with sessions() as session:
        session.add(
            Award(
                award_key="k",
                learner_id=12345,
                achievement_id="x",
                awarded_at=when,
                valid_from=when,
                evidence=[],
                batch_id="b",
            )
        )
        with pytest.raises(IntegrityError):
            session.flush()


def test_migrate_works_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    engine = make_engine(f"sqlite:///{tmp_path / 'elsewhere.db'}")
    migrate(engine)
    check_schema(engine)
    engine.dispose()


def test_make_engine_creates_the_sqlite_folder_and_sets_pragmas(tmp_path):
    path = tmp_path / "nested" / "deeper" / "state.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert path.parent.is_dir()
    engine.dispose()


def test_in_memory_sqlite_is_shared_across_sessions_and_threads():
    engine = make_engine("sqlite://")
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        session.add(Learner(email="ada@example.org"))
    seen: list[str] = []

    def read() -> None:
        with sessions() as session:
            seen.extend(session.scalars(select(Learner.email)))

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert seen == ["ada@example.org"]
    engine.dispose()


@pytest.mark.parametrize("url", ["not a url", "nosuchdb+nodriver://x/y"])
def test_bad_urls_are_configuration_errors(url):
    with pytest.raises(ConfigurationError):
        make_engine(url)


def test_unreachable_database_is_a_store_error(tmp_path):
    missing = tmp_path / "no-such-dir" / "x.db"
    engine = make_engine(f"sqlite:///{missing}")
    missing.parent.rmdir()
    with pytest.raises(StoreError, match="cannot read the database schema revision"):
        current_revision(engine)
    engine.dispose()


def test_the_initial_revision_downgrades_cleanly(engine):
    from alembic import command

    from badgeflow.store.engine import _alembic_config

    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert current_revision(engine) is None


def test_every_documented_metrics_view_exists_with_its_documented_columns(engine):
    from badgeflow.metrics.views import VIEWS

    inspector = inspect(engine)
    assert set(inspector.get_view_names()) == {v.name for v in VIEWS}
    for view in VIEWS:
        columns = [c["name"] for c in inspector.get_columns(view.name)]
        assert columns == list(view.columns), view.name
