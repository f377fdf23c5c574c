"""Batch-level contract rules at ingest: a halting source stores only its quarantine."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from badgeflow import store
from badgeflow.pipeline import Runtime, commit_watermarks, ingest_source
from badgeflow.store.schema import Completion
from tests.contract_env import export_settings, write_export

AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
def make_runtime(tmp_path):
    made = []

    def make(good: int, bad: int = 0, **contracts):
        export = write_export(tmp_path / "export.csv", good=good, bad=bad)
        settings = export_settings(tmp_path, export, **contracts)
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        engine = store.make_engine(settings.database.url)
        store.migrate(engine)
        engine.dispose()
        runtime = Runtime(settings)
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.engine.dispose()


def ingest(runtime, batch_id, *, accept=False, full_resync=False):
    with runtime.sessions.begin() as session:
        store.start_batch(session, batch_id=batch_id, as_of=AS_OF, started_at=AS_OF)
    return ingest_source(
        runtime,
        "export",
        batch_id=batch_id,
        as_of=AS_OF,
        full_resync=full_resync,
        accept_contract_breach=accept,
    )


def succeed(runtime, batch_id, result):
    """What the flow does when a batch gets through: store the summary, move the watermark."""
    commit_watermarks(runtime, [result])
    with runtime.sessions.begin() as session:
        store.finish_batch(
            session,
            batch_id,
            status="succeeded",
            finished_at=AS_OF,
            summary={"contracts": {"export": result.contract}},
        )


def completions(runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(Completion))


def quarantined(runtime, batch_id) -> int:
    with runtime.sessions() as session:
        return len(store.list_quarantine(session, batch_id=batch_id))


def test_too_many_bad_rows_halts_storing_only_the_quarantine(make_runtime):
    runtime = make_runtime(good=88, bad=12)

    result = ingest(runtime, "b-1")

    assert result.contract["halted"] is True
    assert "12.0% of 100 rows failed the contract (limit 5%)" in result.contract["message"]
    assert (result.accepted, result.quarantined, result.inserted) == (88, 12, 0)
    assert completions(runtime) == 0
    assert quarantined(runtime, "b-1") == 12
    assert result.watermark is None  # nothing accepted: the watermark cannot move


def test_under_the_limits_nothing_halts(make_runtime):
    runtime = make_runtime(good=96, bad=4)

    result = ingest(runtime, "b-1")

    assert result.contract["halted"] is False and result.contract["breached"] is False
    assert [r["passed"] for r in result.contract["rules"]] == [True, True]
    assert completions(runtime) == 96


def test_the_override_stores_the_rows_and_records_the_breach(make_runtime, caplog):
    runtime = make_runtime(good=88, bad=12)

    result = ingest(runtime, "b-1", accept=True)

    assert result.contract["breached"] is True and result.contract["halted"] is False
    assert result.contract["breach_accepted"] is True
    assert completions(runtime) == 88
    assert "CONTRACT BREACH ACCEPTED BY OVERRIDE" in caplog.text


def test_a_sudden_drop_against_the_previous_full_read_halts(make_runtime, tmp_path):
    runtime = make_runtime(good=400)
    first = ingest(runtime, "b-1")
    succeed(runtime, "b-1", first)
    write_export(tmp_path / "export.csv", good=120)  # the export was cut short

    second = ingest(runtime, "b-2", full_resync=True)

    assert second.contract["halted"] is True
    drop = second.contract["rules"][1]
    assert drop["figure"] == pytest.approx(0.7)
    assert "120 rows read, 70.0% fewer than the 400 of batch b-1 (limit 50%)" in drop["message"]


def test_an_incremental_pull_is_not_compared_with_a_full_read(make_runtime, tmp_path):
    runtime = make_runtime(good=400)
    succeed(runtime, "b-1", ingest(runtime, "b-1"))

    second = ingest(runtime, "b-2")  # incremental: only rows since the watermark

    assert second.contract["full_read"] is False
    assert second.contract["rules"][1]["applied"] is False
    assert second.contract["halted"] is False


def test_a_halted_batch_re_run_after_the_fix_succeeds_with_one_quarantine(make_runtime, tmp_path):
    runtime = make_runtime(good=88, bad=12)
    assert ingest(runtime, "b-1").contract["halted"] is True
    write_export(tmp_path / "export.csv", good=98, bad=2)  # the export is fixed

    again = ingest(runtime, "b-1")  # same batch id, as `badgeflow run --batch-id` does

    assert again.contract["halted"] is False
    assert completions(runtime) == 98
    assert quarantined(runtime, "b-1") == 2  # the first attempt's 12 are gone
    assert again.watermark is not None
