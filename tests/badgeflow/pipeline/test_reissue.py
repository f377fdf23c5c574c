"""Re-issue: new credential, old one revoked as superseded, email, idempotent, crash-safe.

Runs on SQLite and PostgreSQL (`db_url`), on the demo data, without Prefect.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import delete
from typer.testing import CliRunner

from badgeflow import store
from badgeflow.cli import app
from badgeflow.credentials import verify_credential
from badgeflow.pipeline import (
    evaluate_awards,
    pending_award_ids,
    pending_email_ids,
    publish_site,
    send_emails,
)
from badgeflow.pipeline.reissue import reissue_credentials, select_for_reissue
from badgeflow.status import status_entries
from badgeflow.store import reissue as reissue_store
from badgeflow.store.schema import StatusEntry
from tests.badgeflow.pipeline.issued import AS_OF, issued_runtime

LATER = AS_OF + timedelta(days=3)
runner = CliRunner()


@pytest.fixture
def runtime(tmp_path, db_url):
    with issued_runtime(tmp_path, db_url, purposes=("revocation",)) as rt:
        yield rt


def _ids(runtime) -> list[str]:
    with runtime.sessions() as session:
        return [r.credential_id for r in store.list_credentials(session)]


def _document(runtime, cid: str) -> dict:
    with runtime.sessions() as session:
        record = store.get_credential(session, cid)
    assert record is not None
    return json.loads(record.document)


def _reissue(runtime, ids):
    return reissue_credentials(runtime, ids, reissued_at=LATER, actor="registrar", batch_id="r1")


def _verify_on_site(runtime, cid: str):
    site = runtime.settings.site.output_dir
    base = runtime.settings.site.base_url
    doc = json.loads((site / "credentials" / f"{cid}.json").read_text("utf-8"))
    did = json.loads((site / ".well-known" / "did.json").read_text("utf-8"))
    lists = {
        e["statusListCredential"]: json.loads(
            (site / e["statusListCredential"].removeprefix(f"{base}/")).read_text("utf-8")
        )
        for e in status_entries(doc)
    }
    return verify_credential(
        doc, did_documents={did["id"]: did}, now=LATER + timedelta(hours=1), status_lists=lists
    )


def test_reissue_makes_a_new_credential_and_revokes_the_old_one(runtime):
    old_id = _ids(runtime)[0]
    old = _document(runtime, old_id)
    [result] = _reissue(runtime, [old_id])
    assert result.problem is None and not result.already and result.new_id != old_id
    new = _document(runtime, result.new_id)
    assert new["id"] == f"urn:uuid:{result.new_id}"
    subject, old_subject = new["credentialSubject"], old["credentialSubject"]
    assert subject["achievement"]["id"] == old_subject["achievement"]["id"]
    assert new["awardedDate"] == old["awardedDate"]
    assert new["validFrom"] == "2026-12-02T12:00:00Z" != old["validFrom"]
    assert new.get("validUntil") == old.get("validUntil")
    [old_entry], [new_entry] = status_entries(old), status_entries(new)
    assert new_entry["statusListIndex"] != old_entry["statusListIndex"]
    with runtime.sessions() as session:
        [event] = store.status_events(session, old_id)
        assert reissue_store.successor_of(session, old_id) == result.new_id
        assert store.get_credential(session, old_id).status == "revoked"
        assert store.get_credential(session, result.new_id).status == "active"
    assert (event.action, event.actor) == ("revoke", "registrar")
    assert event.reason == f"superseded by urn:uuid:{result.new_id}"
    publish_site(runtime, generated_at=LATER)
    assert _verify_on_site(runtime, result.new_id).verified
    revoked = _verify_on_site(runtime, old_id)
    assert not revoked.verified and "REVOKED" in " ".join(revoked.errors)


def test_the_learner_gets_one_reissue_email_and_no_award_email(runtime):
    old_id = _ids(runtime)[0]
    [result] = _reissue(runtime, [old_id])
    with runtime.sessions.begin() as session:
        # The three other originals; not the revoked old one, nor its re-issued successor.
        assert store.enqueue_award_emails(session) == 3
    pending = pending_email_ids(runtime)
    assert result.outbox_id in pending
    send_emails(runtime, [result.outbox_id], now=LATER)
    [eml] = runtime.settings.mail.outbox_dir.glob("*.eml")
    text = eml.read_text("utf-8")
    assert "badge was re-issued" in text and result.new_id in text


def test_rerun_and_crash_make_no_duplicate(runtime):
    first, second = _ids(runtime)[:2]
    pending_before = pending_award_ids(runtime)
    [done] = _reissue(runtime, [first])
    again = _reissue(runtime, [first])
    assert again[0].already and again[0].new_id == done.new_id and again[0].outbox_id is None
    # A crash half-way through the second one (its badge image is missing) ...
    slug = _document(runtime, second)["credentialSubject"]["achievement"]["id"].split("/")[-1]
    image = runtime.catalog.image_path(slug or "data-foundations", ".png")
    backup = image.read_bytes()
    image.unlink()
    try:
        with pytest.raises(FileNotFoundError):
            _reissue(runtime, [second])
    finally:
        image.write_bytes(backup)
    with runtime.sessions() as session:
        assert reissue_store.successor_of(session, second) is None
        assert store.get_credential(session, second).status == "active"
    # The new award was rolled back with the rest: no award waits for a credential.
    assert pending_award_ids(runtime) == pending_before
    # ... and the re-run finishes it exactly once.
    [retry] = _reissue(runtime, [second])
    assert retry.problem is None
    assert len(_ids(runtime)) == 6
    assert _reissue(runtime, [first, second])[1].already


def test_revoked_unknown_and_expired_are_refused(runtime):
    first = _ids(runtime)[0]
    [done] = _reissue(runtime, [first])
    results = _reissue(runtime, ["00000000-0000-4000-8000-000000000000"])
    assert results[0].problem == "no such credential"
    with runtime.sessions.begin() as session:
        store.change_status(session, done.new_id, "revoke", reason="x", actor="t", at=LATER)
    assert _reissue(runtime, [done.new_id])[0].problem == "is revoked; only active ones"
    expiring = [
        cid for cid in _ids(runtime) if "validUntil" in _document(runtime, cid) and cid != first
    ]
    if expiring:
        far = AS_OF + timedelta(days=4000)
        [late] = reissue_credentials(
            runtime, expiring[:1], reissued_at=far, actor="t", batch_id="r2"
        )
        assert late.problem == "has expired; a re-issue would be expired"


def test_rules_see_the_reissued_award_as_held(runtime):
    # Evaluating the same learners again awards nothing new: the re-issued copy is held.
    with runtime.sessions() as session:
        before = len(store.load_awards(session))
    _reissue(runtime, _ids(runtime))
    result = evaluate_awards(runtime, batch_id="b1", as_of=LATER)
    with runtime.sessions() as session:
        after = len(store.load_awards(session))
    assert after == before + 4
    assert result.new_awards == 0


def test_selection_filters(runtime):
    ids = _ids(runtime)
    assert select_for_reissue(runtime, without_status=True) == []
    slug = runtime.catalog.achievement_info(
        _document(runtime, ids[0])["credentialSubject"]["achievement"]["id"]
        .rstrip("/")
        .split("/")[-1],
        site_base_url=runtime.settings.site.base_url,
    ).slug
    by_slug = select_for_reissue(runtime, achievement_id=slug)
    assert ids[0] in by_slug and set(by_slug) <= set(ids)


def test_without_status_selects_credentials_issued_before_status_lists(runtime):
    ids = _ids(runtime)
    # As before migration 0002: two credentials have no status list entry.
    with runtime.sessions.begin() as session:
        session.execute(delete(StatusEntry).where(StatusEntry.credential_id.in_(ids[:2])))
    assert select_for_reissue(runtime, without_status=True) == ids[:2]
    results = _reissue(runtime, select_for_reissue(runtime, without_status=True))
    assert all(r.problem is None for r in results)
    assert select_for_reissue(runtime, without_status=True) == []
    for result in results:
        [entry] = status_entries(_document(runtime, result.new_id))
        assert entry["statusPurpose"] == "revocation"


def test_cli_reissues_publishes_and_emails(runtime, monkeypatch):
    monkeypatch.setenv("BADGEFLOW_CONFIG", str(runtime.settings.var_dir.parent / "badgeflow.toml"))
    old_id = _ids(runtime)[0]
    result = runner.invoke(app, ["reissue", old_id, "--actor", "registrar"])
    assert result.exit_code == 0, result.output
    assert "1 re-issued, 0 already re-issued, 0 refused" in result.output
    assert "emails: 1 sent" in result.output
    again = runner.invoke(app, ["reissue", old_id])
    assert again.exit_code == 0 and "already re-issued as" in again.output
    assert runner.invoke(app, ["reissue"]).exit_code == 2
