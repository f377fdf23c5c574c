"""Ingest of an export: its vendor's contract before mapping, the canonical one after."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from badgeflow import store
from badgeflow.pipeline import Runtime, ingest_source
from badgeflow.store.schema import QuarantinedRow
from tests.demo_env import REPO, initialise, settings_from

AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
EXPORT = """User,Email,Course,Completion status,Completion date,Score,Completion percentage
Amélie Dubois,amelie.dubois@example.com,SQL Essentials,Completed,"14/03/2026, 16:41:00",85%,100%
Jürgen Müller,juergen.mueller(at)example.com,SQL Essentials,In progress,,,40%
Sofia Alvarez,sofia.alvarez@example.com,SQL Essentials,Not started,,,0%
Wei Chen,wei.chen@example.com,SQL Essentials,Completed,"21/05/2031, 11:06:00",76.50%,100%
"""


def _runtime(root: Path) -> Runtime:
    (root / "talentlms.csv").write_text(EXPORT, encoding="utf-8")
    config = root / "badgeflow.toml"
    config.write_text(
        f"""
var_dir = "{root / "var"}"
catalog_dir = "{REPO / "badge_catalog"}"
contracts_dir = "{REPO / "data_contracts"}"

[database]
url = "sqlite:///{root / "var" / "badgeflow.db"}"

[signing]
keys_dir = "{root / "var" / "keys"}"

[site]
output_dir = "{root / "var" / "site"}"

[mail]
outbox_dir = "{root / "var" / "outbox"}"

[[sources]]
name = "talent"
kind = "csv"
path = "{root / "talentlms.csv"}"
format = "talentlms"
""",
        encoding="utf-8",
    )
    settings = settings_from(config)
    initialise(settings)
    return Runtime(settings)


def test_raw_and_canonical_failures_are_both_quarantined_with_their_detail(tmp_path):
    runtime = _runtime(tmp_path)
    try:
        with runtime.sessions.begin() as session:
            store.start_batch(session, batch_id="b1", as_of=AS_OF, started_at=AS_OF)

        result = ingest_source(runtime, "talent", batch_id="b1", as_of=AS_OF, full_resync=True)

        assert (result.rows_read, result.accepted, result.quarantined) == (4, 2, 2)
        assert result.quarantine_reasons == {
            "Email … is not a valid email": 1,
            "completed_at … is in the future": 1,
        }
        with runtime.sessions() as session:
            stored = session.scalars(
                select(QuarantinedRow).order_by(QuarantinedRow.row_number)
            ).all()
            detail = [(q.row_number, q.expectation, q.column_name, q.value) for q in stored]
            raw_email = stored[0].raw["Email"] if stored[0].raw else None
    finally:
        runtime.engine.dispose()
    assert detail == [
        (3, "expect_column_values_to_match_regex", "Email", "juergen.mueller(at)example.com"),
        (5, "expect_column_values_to_be_in_set", "completed_at", "2031-05-21T11:06:00+00:00"),
    ]
    assert raw_email == "juergen.mueller(at)example.com"
