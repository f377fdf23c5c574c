"""Completions upsert, quarantine and loading."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import event, func, select

from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COMPLETION_COLUMNS,
    FETCHED_AT,
    LEARNER_EMAIL,
    LEARNER_NAME,
    MODULES_TOTAL,
    QUARANTINE_COLUMNS,
    RAW,
    REASON,
    RECORD_KEY,
    ROW_NUMBER,
    SCORE,
    SOURCE,
    SOURCE_RECORD_ID,
)
from badgeflow.store import (
    UpsertCounts,
    batch_record_keys,
    learner_emails_for,
    list_quarantine,
    load_completions,
    record_quarantine,
    upsert_completions,
)
from badgeflow.store.schema import Completion, Learner, QuarantinedRow
from tests.badgeflow.store.factories import AS_OF, completion, completions_frame


def _upsert(sessions, df, batch_id="b1"):
    with sessions.begin() as session:
        return upsert_completions(session, df, batch_id=batch_id)


def test_insert_then_unchanged_then_update(sessions):
    rows = [completion("7:101"), completion("8:101", **{LEARNER_EMAIL: "bob@example.org"})]
    assert _upsert(sessions, completions_frame(*rows)) == UpsertCounts(2, 0, 0)

    # Fetched again later, same content: unchanged (fetched_at is not content).
    later = [{**r, FETCHED_AT: AS_OF + timedelta(days=1)} for r in rows]
    assert _upsert(sessions, completions_frame(*later), "b2") == UpsertCounts(0, 0, 2)

    changed = [{**later[0], SCORE: 91.0}, later[1]]
    assert _upsert(sessions, completions_frame(*changed), "b3") == UpsertCounts(0, 1, 1)

    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Completion)) == 2
        first = session.scalars(
            select(Completion).where(Completion.source_record_id == "7:101")
        ).one()
    assert (first.score, first.first_batch_id, first.last_batch_id) == (91.0, "b1", "b3")
    assert first.fetched_at == AS_OF + timedelta(days=1)


def test_same_record_id_in_another_source_is_another_completion(sessions):
    df = completions_frame(completion("7:101"), completion("7:101", **{SOURCE: "canvas-main"}))
    assert _upsert(sessions, df) == UpsertCounts(2, 0, 0)


def test_learners_are_matched_by_normalised_email(sessions):
    df = completions_frame(
        completion("7:101", **{LEARNER_EMAIL: "  Ada@Example.ORG "}),
        completion("7:102", **{LEARNER_EMAIL: "ada@example.org", LEARNER_NAME: "Ada King"}),
    )
    _upsert(sessions, df)
    with sessions() as session:
        learners = session.execute(select(Learner.email, Learner.name)).all()
    assert learners == [("ada@example.org", "Ada King")]


@pytest.mark.parametrize("email", [None, "", "   "])
def test_rows_without_email_are_refused(sessions, email):
    df = completions_frame(completion("7:101", **{LEARNER_EMAIL: email}))
    with sessions() as session, pytest.raises(ValueError, match="moodle-main:7:101"):
        upsert_completions(session, df, batch_id="b1")


def test_missing_columns_are_refused(sessions):
    df = completions_frame().drop(columns=[SCORE])
    with sessions() as session, pytest.raises(ValueError, match="score"):
        upsert_completions(session, df, batch_id="b1")


def test_load_completions_round_trips_the_canonical_frame(sessions):
    rows = [
        completion("7:101"),
        completion(
            "8:102",
            **{
                LEARNER_EMAIL: "bob@example.org",
                COMPLETED: False,
                COMPLETED_AT: None,
                SCORE: None,
                MODULES_TOTAL: None,
                RAW: {"nested": {"when": "2026-01-01"}, "list": [1, 2]},
            },
        ),
    ]
    _upsert(sessions, completions_frame(*rows))
    with sessions() as session:
        loaded = load_completions(session)
        only_bob = load_completions(session, learner_emails=["BOB@example.org "])
    assert list(loaded.columns) == [*COMPLETION_COLUMNS, RECORD_KEY]
    assert list(loaded[RECORD_KEY]) == ["moodle-main:7:101", "moodle-main:8:102"]
    assert str(loaded[COMPLETED_AT].dtype) == "datetime64[us, UTC]"
    assert loaded.loc[0, COMPLETED_AT] == AS_OF - timedelta(days=2)
    assert pd.isna(loaded.loc[1, COMPLETED_AT]) and pd.isna(loaded.loc[1, SCORE])
    assert loaded.loc[1, RAW] == {"nested": {"when": "2026-01-01"}, "list": [1, 2]}
    assert loaded[COMPLETED].tolist() == [True, False]
    assert list(only_bob[RECORD_KEY]) == ["moodle-main:8:102"]


def test_load_completions_of_an_empty_store_has_the_columns(sessions):
    with sessions() as session:
        loaded = load_completions(session, learner_emails=[])
    assert loaded.empty
    assert list(loaded.columns) == [*COMPLETION_COLUMNS, RECORD_KEY]


def test_batch_record_keys_and_their_learners(sessions):
    _upsert(sessions, completions_frame(completion("7:101")), "b1")
    _upsert(
        sessions,
        completions_frame(
            completion("7:101"), completion("8:101", **{LEARNER_EMAIL: "bob@example.org"})
        ),
        "b2",
    )
    with sessions() as session:
        assert batch_record_keys(session, "b1") == []
        keys = batch_record_keys(session, "b2")
        assert keys == ["moodle-main:7:101", "moodle-main:8:101"]
        assert learner_emails_for(session, keys) == ["ada@example.org", "bob@example.org"]
        assert learner_emails_for(session, ["moodle-main:8:101", "nope:1"]) == ["bob@example.org"]


def test_record_quarantine(sessions):
    df = pd.DataFrame(
        [
            {
                SOURCE: "moodle-main",
                ROW_NUMBER: 3,
                RECORD_KEY: "moodle-main:9:1",
                REASON: "score: > 100",
                RAW: {"score": 140},
            },
            {SOURCE: "moodle-main", ROW_NUMBER: 4, RECORD_KEY: None, REASON: "no id", RAW: None},
        ],
        columns=list(QUARANTINE_COLUMNS),
    )
    with sessions.begin() as session:
        assert record_quarantine(session, df, batch_id="b1") == 2
    with sessions() as session:
        stored = session.scalars(select(QuarantinedRow).order_by(QuarantinedRow.row_number)).all()
    assert [(q.row_number, q.record_key, q.reason, q.raw) for q in stored] == [
        (3, "moodle-main:9:1", "score: > 100", {"score": 140}),
        (4, None, "no id", None),
    ]


def test_record_quarantine_keeps_the_first_failure_and_lists_it(sessions):
    detailed = pd.DataFrame(
        [["csv", 3, "csv:line:3", "Email 'x' is not a valid email", {"Email": "x"}]
         + ["expect_column_values_to_match_regex", "Email", "x"]],
        columns=list(QUARANTINE_COLUMNS),
    )  # fmt: skip
    plain = pd.DataFrame(  # a frame without the detail columns is still accepted
        [["csv", 4, "csv:r4", "score: 'abc' is not a number", None]],
        columns=[SOURCE, ROW_NUMBER, RECORD_KEY, REASON, RAW],
    )
    with sessions.begin() as session:
        assert record_quarantine(session, detailed, batch_id="b1") == 1
        assert record_quarantine(session, plain, batch_id="b1") == 1
    with sessions() as session:
        listed = list_quarantine(session, batch_id="b1")
    assert [(r.row_number, r.expectation, r.column_name, r.value) for r in listed] == [
        (3, "expect_column_values_to_match_regex", "Email", "x"),
        (4, None, None, None),
    ]


def test_load_completions_without_raw_is_the_same_frame_with_raw_left_empty(sessions):
    rows = [
        completion(f"{n}:101", **{LEARNER_EMAIL: f"l{n}@example.org", RAW: {"n": n}})
        for n in range(5)
    ]
    _upsert(sessions, completions_frame(*rows))
    with sessions() as session:
        full = load_completions(session)
        lean = load_completions(session, with_raw=False)
    assert lean[RAW].isna().all()
    pd.testing.assert_frame_equal(lean.drop(columns=[RAW]), full.drop(columns=[RAW]))


def test_new_rows_go_in_one_insert_whatever_their_missing_values(sessions, engine):
    # The ORM's bulk insert split its batch wherever a row's None values changed.
    rows = [
        completion(
            f"{n}:101",
            **{
                LEARNER_EMAIL: f"l{n}@example.org",
                LEARNER_NAME: None if n % 2 else f"L {n}",
                COMPLETED_AT: None if n % 3 else AS_OF,
                SCORE: None if n % 2 else 70.0 + n,
                MODULES_TOTAL: None if n % 4 else 6,
            },
        )
        for n in range(12)
    ]
    inserts: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO completions"):
            inserts.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        _upsert(sessions, completions_frame(*rows))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(inserts) == 1
    with sessions() as session:
        loaded = load_completions(session)
    by_key = {r[SOURCE_RECORD_ID]: r for r in loaded.to_dict("records")}
    for row in rows:
        got = by_key[row[SOURCE_RECORD_ID]]
        for column in (LEARNER_NAME, SCORE, MODULES_TOTAL, COMPLETED_AT):
            want = row[column]
            assert pd.isna(got[column]) if want is None else got[column] == want, column


def test_a_known_learner_is_renamed_and_keeps_the_name_when_none_comes(sessions):
    def names():
        with sessions() as session:
            return dict(session.execute(select(Learner.email, Learner.name)).tuples().all())

    _upsert(
        sessions,
        completions_frame(
            completion("7:101"),
            completion("8:101", **{LEARNER_EMAIL: "bob@example.org", LEARNER_NAME: "Bob"}),
        ),
    )
    _upsert(sessions, completions_frame(completion("7:101", **{LEARNER_NAME: "Ada King"})), "b2")
    assert names() == {"ada@example.org": "Ada King", "bob@example.org": "Bob"}
    _upsert(sessions, completions_frame(completion("7:101", **{LEARNER_NAME: None})), "b3")
    assert names() == {"ada@example.org": "Ada King", "bob@example.org": "Bob"}
