"""Two runs signing the same awards: the baked PNG always holds the credential that was stored.

A rerun that overlaps a nightly batch (or two sources' batches overlapping) can read the same
pending awards before either stores its credentials. The store keeps the first credential per
award; the second run's work must not replace the first run's baked PNG, which the stored
credential names and the site and the award email hand out.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from badgeflow import store
from badgeflow.credentials.bake import unbake_png
from badgeflow.pipeline import issue_credentials, pending_award_ids
from tests.badgeflow.pipeline.issued import AS_OF, issued_runtime


def _check_baked(runtime) -> list[store.CredentialRecord]:
    """Every stored credential's PNG holds that credential; the folder holds nothing else."""
    with runtime.sessions() as session:
        records = store.list_credentials(session)
    for record in records:
        assert record.baked_path is not None
        assert unbake_png(Path(record.baked_path).read_bytes()) == record.document
    assert sorted(str(p) for p in runtime.baked_dir.iterdir()) == sorted(
        str(r.baked_path) for r in records
    )
    return records


def test_the_run_that_loses_leaves_the_winners_png(db_url, tmp_path, monkeypatch) -> None:
    with issued_runtime(tmp_path, db_url, count=0, publish=False) as runtime:
        ids = pending_award_ids(runtime)[:3]
        with runtime.sessions() as session:
            # What a second run read before the first one stored its credentials.
            seen = store.awards_to_issue(session, ids)
        assert len(seen) == 3
        assert issue_credentials(runtime, ids, batch_id="b1", issued_at=AS_OF) == 3
        first = {r.credential_id: r.document for r in _check_baked(runtime)}

        monkeypatch.setattr(store, "awards_to_issue", lambda session, award_ids: seen)
        later = AS_OF + timedelta(minutes=7)
        assert issue_credentials(runtime, ids, batch_id="b2", issued_at=later) == 0
        monkeypatch.undo()

        after = _check_baked(runtime)
        assert {r.credential_id: r.document for r in after} == first


def test_a_failed_chunk_leaves_no_png_behind(db_url, tmp_path, monkeypatch) -> None:
    with issued_runtime(tmp_path, db_url, count=2, publish=False) as runtime:
        kept = _check_baked(runtime)
        ids = pending_award_ids(runtime)[:3]

        def refuse(session, entries):
            raise RuntimeError("the database went away")

        monkeypatch.setattr(store, "save_status_entries_many", refuse)
        with pytest.raises(RuntimeError, match="went away"):
            issue_credentials(runtime, ids, batch_id="b2", issued_at=AS_OF)
        monkeypatch.undo()

        # Nothing of the failed chunk was stored, and none of its PNGs are left.
        assert _check_baked(runtime) == kept
        assert pending_award_ids(runtime)[:3] == ids
        assert issue_credentials(runtime, ids, batch_id="b3", issued_at=AS_OF) == 3
        assert len(_check_baked(runtime)) == len(kept) + 3


def test_a_run_skips_the_awards_another_run_is_issuing(db_url, tmp_path) -> None:
    with issued_runtime(tmp_path, db_url, count=0, publish=False) as runtime:
        ids = pending_award_ids(runtime)[:3]
        with runtime.sessions() as first:
            first.begin()
            # The first run's issue transaction, between reading its awards and storing them.
            assert len(store.awards_to_issue(first, ids)) == 3
            second = issue_credentials(runtime, ids, batch_id="b2", issued_at=AS_OF)
            first.rollback()
        if runtime.engine.dialect.name == "postgresql":
            # FOR UPDATE SKIP LOCKED: the second run leaves the held awards alone, at once.
            assert second == 0
            assert issue_credentials(runtime, ids, batch_id="b3", issued_at=AS_OF) == 3
        else:
            # SQLite has no row locks: the second run issues them; one credential per award.
            assert second == 3
            assert issue_credentials(runtime, ids, batch_id="b3", issued_at=AS_OF) == 0
        assert len(_check_baked(runtime)) == 3
