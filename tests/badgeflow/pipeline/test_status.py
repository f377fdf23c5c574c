"""Revoke, suspend and reinstate end to end: store, published status lists, verification.

Runs without Prefect on the demo data, on SQLite and PostgreSQL, with the CLI where the
operator would use it. Clocks are fixed: the CLI is run with ``--no-publish`` and the site is
published with the batch clock, so verification never depends on the wall clock.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from badgeflow import store
from badgeflow.cli import app
from badgeflow.credentials import unbake_svg
from badgeflow.credentials.verify import CHECK_NAMES
from badgeflow.demo import demo_dataset_path
from badgeflow.fakelms.moodle import FakeMoodle, MoodleDataset
from badgeflow.pipeline import (
    Runtime,
    evaluate_awards,
    ingest_source,
    issue_credentials,
    pending_award_ids,
    pending_email_ids,
    publish_site,
)
from tests.demo_env import initialise, reset_database, settings_from, write_config

AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
CHECK_AT = (AS_OF + timedelta(hours=1)).isoformat()
runner = CliRunner()


@pytest.fixture
def runtime(tmp_path, db_url, monkeypatch):
    with FakeMoodle(MoodleDataset.load(demo_dataset_path()), token="demo-token") as moodle:
        config = write_config(tmp_path, moodle.base_url)
        text = config.read_text(encoding="utf-8")
        text = text.replace(
            f'url = "sqlite:///{tmp_path / "var" / "badgeflow.db"}"', f'url = "{db_url}"'
        )
        text += '\n[issuance]\nstatus_purposes = ["revocation", "suspension"]\n'
        config.write_text(text, encoding="utf-8")
        monkeypatch.setenv("BADGEFLOW_CONFIG", str(config))
        settings = settings_from(config)
        if not db_url.startswith("sqlite"):
            reset_database(db_url)
        initialise(settings)
        runtime = Runtime(settings)
        with runtime.sessions.begin() as session:
            store.start_batch(session, batch_id="b1", as_of=AS_OF, started_at=AS_OF)
        for source in settings.sources:
            ingest_source(runtime, source.name, batch_id="b1", as_of=AS_OF, full_resync=False)
        evaluate_awards(runtime, batch_id="b1", as_of=AS_OF)
        issue_credentials(runtime, pending_award_ids(runtime)[:4], batch_id="b1", issued_at=AS_OF)
        publish_site(runtime, generated_at=AS_OF)
        yield runtime
        runtime.engine.dispose()


def _ids(runtime: Runtime) -> list[str]:
    with runtime.sessions() as session:
        return [r.credential_id for r in store.list_credentials(session)]


def _credential_file(runtime: Runtime, cid: str):
    return runtime.settings.site.output_dir / "credentials" / f"{cid}.json"


def _verify(runtime: Runtime, cid: str):
    return runner.invoke(app, ["verify", str(_credential_file(runtime, cid)), "--at", CHECK_AT])


def test_issued_credentials_point_at_published_signed_lists(runtime):
    site = runtime.settings.site.output_dir
    base = runtime.settings.site.base_url
    slots = []
    for cid in _ids(runtime):
        document = json.loads(_credential_file(runtime, cid).read_text(encoding="utf-8"))
        entries = document["credentialStatus"]
        assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
        for entry in entries:
            assert entry["statusListCredential"].startswith(f"{base}/status/")
            listing = site / entry["statusListCredential"].removeprefix(f"{base}/")
            assert (
                json.loads(listing.read_text(encoding="utf-8"))["validFrom"]
                == "2026-11-29T12:00:00Z"
            )
            slots.append((entry["statusPurpose"], entry["statusListIndex"]))
        assert _verify(runtime, cid).exit_code == 0
    assert len(slots) == len(set(slots)) == 2 * len(_ids(runtime))


def test_revoke_then_verify_reports_revoked_and_emails_the_learner(runtime):
    cid = _ids(runtime)[0]
    result = runner.invoke(
        app, ["revoke", cid, "--reason", "plagiarised final exam", "--notify", "--no-publish"]
    )
    assert result.exit_code == 0, result.output
    assert f"{cid}: active -> revoked" in result.output
    assert "1 sent" in result.output
    # Not yet published: the lists still say active.
    assert _verify(runtime, cid).exit_code == 0
    publish_site(runtime, generated_at=AS_OF)
    verdict = _verify(runtime, cid)
    assert verdict.exit_code == 1
    assert "credential has been REVOKED by its issuer" in verdict.output
    assert all(_verify(runtime, other).exit_code == 0 for other in _ids(runtime)[1:])
    emails = list(runtime.settings.mail.outbox_dir.glob("*.eml"))
    assert len(emails) == 1
    text = emails[0].read_text(encoding="utf-8")
    assert "has been revoked" in text and "plagiarised final exam" in text
    assert pending_email_ids(runtime) == []
    with runtime.sessions() as session:
        [event] = store.status_events(session, cid)
    assert (event.action, event.reason) == ("revoke", "plagiarised final exam")


def test_suspend_then_reinstate(runtime):
    cid = _ids(runtime)[1]
    assert (
        runner.invoke(app, ["suspend", cid, "--reason", "under review", "--no-publish"]).exit_code
        == 0
    )
    publish_site(runtime, generated_at=AS_OF)
    verdict = _verify(runtime, cid)
    assert verdict.exit_code == 1 and "SUSPENDED" in verdict.output
    page = runtime.settings.site.output_dir / "credentials" / cid / "index.html"
    assert "suspended" in page.read_text(encoding="utf-8").lower()
    result = runner.invoke(app, ["reinstate", cid, "--reason", "cleared", "--no-publish"])
    assert result.exit_code == 0, result.output
    publish_site(runtime, generated_at=AS_OF)
    assert _verify(runtime, cid).exit_code == 0


def test_csv_revoke_reports_a_bad_row_and_keeps_the_others(runtime, tmp_path):
    first, second = _ids(runtime)[:2]
    sheet = tmp_path / "revoke.csv"
    sheet.write_text(
        "credential_id,reason\n"
        f"{first},duplicate account\n"
        "00000000-0000-4000-8000-00000000dead,typo\n"
        f"urn:uuid:{second},\n"
        f"{second},refunded\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["revoke", "--csv", str(sheet), "--actor", "registrar"])
    assert result.exit_code == 1, result.output
    assert "row 3: 00000000-0000-4000-8000-00000000dead: not changed, no such credential" in (
        result.output
    )
    assert f"row 4: {second}: not changed, a reason is required" in result.output
    assert "2 changed, 2 not changed" in result.output
    with runtime.sessions() as session:
        statuses = {r.credential_id: r.status for r in store.list_credentials(session)}
        actors = {e.actor for e in store.status_events(session)}
    assert statuses[first] == statuses[second] == "revoked"
    assert actors == {"registrar"}


def test_revoke_needs_an_id_or_a_csv(runtime):
    assert runner.invoke(app, ["revoke", "--reason", "x"]).exit_code == 2


def test_site_publish_re_signs_a_list_only_when_its_bits_change(runtime):
    site = runtime.settings.site.output_dir
    revocation, suspension = site / "status/revocation/1", site / "status/suspension/1"
    before = {p: p.read_bytes() for p in (revocation, suspension)}
    report = publish_site(runtime, generated_at=AS_OF + timedelta(days=1))
    assert (report.files_changed, report.files_deleted) == (0, 0)
    assert {p: p.read_bytes() for p in before} == before
    cid = _ids(runtime)[0]
    assert runner.invoke(app, ["revoke", cid, "--reason", "x", "--no-publish"]).exit_code == 0
    # A published list that no longer verifies is re-signed even though its bits are the same.
    tampered = json.loads(before[suspension])
    tampered["validFrom"] = "2020-01-01T00:00:00Z"
    suspension.write_text(json.dumps(tampered, indent=2) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["site", "publish", "--full"])
    assert result.exit_code == 0, result.output
    assert f"files: {report.files_written} written, 0 unchanged" in result.output
    assert "(full rebuild)" in result.output
    after = {p: json.loads(p.read_text(encoding="utf-8")) for p in before}
    for path, listing in after.items():
        old = json.loads(before[path])
        assert listing["validFrom"] > old["validFrom"]
        assert listing["proof"]["created"] == listing["validFrom"]
    assert (
        after[revocation]["credentialSubject"]
        != json.loads(before[revocation])["credentialSubject"]
    )
    assert (
        after[suspension]["credentialSubject"]
        == json.loads(before[suspension])["credentialSubject"]
    )
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()  # the lists' validFrom: now

    def verify(credential_id: str):
        return runner.invoke(
            app, ["verify", str(_credential_file(runtime, credential_id)), "--at", later]
        )

    verdict = verify(cid)
    assert verdict.exit_code == 1 and "REVOKED" in verdict.output
    assert all(verify(other).exit_code == 0 for other in _ids(runtime)[1:])


def test_the_published_baked_svg_verifies_and_shows_a_revocation(runtime):
    cid = _ids(runtime)[0]
    svg = _credential_file(runtime, cid).with_suffix(".svg")
    baked = svg.read_text(encoding="utf-8")
    assert unbake_svg(baked) == _credential_file(runtime, cid).read_text(encoding="utf-8").strip()
    page = (svg.parent / cid / "index.html").read_text(encoding="utf-8")
    assert f"credentials/{cid}.svg" in page

    def report():
        result = runner.invoke(app, ["verify", str(svg), "--at", CHECK_AT, "--json"])
        return result.exit_code, {
            c["name"]: c["passed"] for c in json.loads(result.output)["checks"]
        }

    assert report() == (0, dict.fromkeys(CHECK_NAMES, True))
    assert runner.invoke(app, ["revoke", cid, "--reason", "test", "--no-publish"]).exit_code == 0
    publish_site(runtime, generated_at=AS_OF)
    assert report() == (1, {**dict.fromkeys(CHECK_NAMES, True), "status": False})


def test_revoke_notify_with_an_unusable_transport_keeps_the_change_and_the_email(runtime):
    cid = _ids(runtime)[0]
    outbox = runtime.settings.mail.outbox_dir
    outbox.parent.mkdir(parents=True, exist_ok=True)
    outbox.write_text("not a folder")  # the file transport cannot open its outbox
    result = runner.invoke(
        app, ["revoke", cid, "--reason", "plagiarised final exam", "--notify", "--no-publish"]
    )
    assert result.exit_code == 0, result.output
    assert f"{cid}: active -> revoked" in result.output
    assert "emails not sent" in result.output and "stay queued" in result.output
    assert len(pending_email_ids(runtime)) == 1
