"""`insert_rows` stores on SQLite exactly what SQLAlchemy's general executemany stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, text

from badgeflow.store import make_engine, migrate, session_factory
from badgeflow.store._bulk import insert_rows
from badgeflow.store.schema import Award, Learner

TABLE = Award.metadata.tables[Award.__tablename__]
COLUMNS = "award_key, learner_id, achievement_id, awarded_at, valid_from, valid_until, score, "
STORED = f"SELECT {COLUMNS}evidence, batch_id, status, typeof(score) FROM awards ORDER BY id"

zones = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-7))])
moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=zones
)
award_rows = st.lists(
    st.fixed_dictionaries(
        {
            "achievement_id": st.text(min_size=1, max_size=12),
            "awarded_at": moments,
            "valid_from": moments,
            "valid_until": st.none() | moments,
            "score": st.none() | st.floats(allow_nan=False, allow_infinity=False),
            "evidence": st.lists(st.text(max_size=20), max_size=4),
            "status": st.sampled_from(["active", "suspended"]),
        }
    ),
    min_size=1,
    max_size=12,
)


@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    found = []
    for name in ("fast", "general"):
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp(name)}/db.sqlite")
        migrate(engine)
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO learners (email, name) VALUES ('a@x.org', 'A')"))
        found.append(engine)
    yield found
    for engine in found:
        engine.dispose()


def _stored(engine) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.exec_driver_sql(STORED)]


@settings(max_examples=30, deadline=None)
@given(award_rows)
def test_the_fast_path_stores_the_same_values_as_the_general_one(databases, drafts):
    fast, general = databases
    with fast.connect() as connection:
        learner_id = connection.exec_driver_sql("SELECT id FROM learners").scalar_one()
    rows = [
        {"award_key": f"k{i}", "learner_id": learner_id, **draft, "batch_id": "b1"}
        for i, draft in enumerate(drafts)
    ]
    for engine in databases:
        with engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM awards")
    with session_factory(fast).begin() as session:
        insert_rows(session, TABLE, rows)
    with session_factory(general).begin() as session:
        session.execute(insert(TABLE), rows)
    assert _stored(fast) == _stored(general)
    assert len(_stored(fast)) == len(rows)


def test_rows_missing_a_defaulted_column_take_the_general_path_and_get_the_default(databases):
    fast, _ = databases
    moment = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    with fast.begin() as connection:
        connection.exec_driver_sql("DELETE FROM awards")
        learner_id = connection.exec_driver_sql("SELECT id FROM learners").scalar_one()
    row = {
        "award_key": "k-default",
        "learner_id": learner_id,
        "achievement_id": "a",
        "awarded_at": moment,
        "valid_from": moment,
        "batch_id": "b1",
    }  # no evidence, status, valid_until, score
    with session_factory(fast).begin() as session:
        insert_rows(session, TABLE, [row])
        insert_rows(session, TABLE, [])  # nothing to do
    stored = _stored(fast)
    assert [(r[0], r[7], r[9]) for r in stored] == [("k-default", "[]", "active")]


def test_learners_table_is_untouched_by_the_award_insert(databases):
    fast, _ = databases
    with fast.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM learners").scalar_one() == 1
    assert Learner.__tablename__ == "learners"


def _general(session, table, rows):
    session.execute(insert(table), list(rows))


def test_new_completions_are_stored_as_the_general_path_stores_them(tmp_path, monkeypatch):
    from datetime import date
    from decimal import Decimal

    import badgeflow.store.completions as completions
    from badgeflow.models import COMPLETED_AT, RAW, SCORE
    from badgeflow.store import upsert_completions
    from tests.badgeflow.store.factories import AS_OF, completion, completions_frame

    frame = completions_frame(
        completion("7:101"),
        completion("8:101", **{COMPLETED_AT: None, SCORE: None, RAW: {"d": date(2026, 1, 2)}}),
        completion("9:101", **{RAW: {"n": Decimal("1.50"), "é": ["ü", None, 3.25]}}),
        completion("9:101", **{SCORE: 12.0}),  # the same key again: one row, updated
        completion("10:102", **{COMPLETED_AT: AS_OF - timedelta(microseconds=7)}),
    )
    stored = []
    for name in ("fast", "general"):
        if name == "general":
            monkeypatch.setattr(completions, "insert_rows", _general)
        engine = make_engine(f"sqlite:///{tmp_path}/{name}.sqlite")
        migrate(engine)
        with session_factory(engine).begin() as session:
            counts = upsert_completions(session, frame, batch_id="b1")
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT * FROM completions ORDER BY source, source_record_id"
            )
            keep = [i for i, c in enumerate(rows.keys()) if c != "created_at"]  # the clock
            stored.append([tuple(r[i] for i in keep) for r in rows])
        engine.dispose()
        assert (counts.inserted, counts.updated) == (4, 1)
    assert stored[0] == stored[1]
    assert len(stored[0]) == 4
