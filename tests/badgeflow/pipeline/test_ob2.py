"""OB 2.0 end to end: issue, publish, verify from the site folder with the CLI, revoke.

Runs without Prefect on the demo data, hosted and signed. Clocks are fixed as in test_status.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from badgeflow import store
from badgeflow.cli import app
from badgeflow.credentials import unbake_png, unbake_svg
from badgeflow.credentials.ob2 import OB2_CHECK_NAMES
from badgeflow.demo import demo_dataset_path
from badgeflow.fakelms.moodle import FakeMoodle, MoodleDataset
from badgeflow.pipeline import (
    Runtime,
    evaluate_awards,
    ingest_source,
    issue_credentials,
    pending_award_ids,
    publish_site,
)
from badgeflow.site import layout
from tests.demo_env import initialise, settings_from, write_config

AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
CHECK_AT = (AS_OF + timedelta(hours=1)).isoformat()
runner = CliRunner()


def _runtime(tmp_path, monkeypatch, mode):
    with FakeMoodle(MoodleDataset.load(demo_dataset_path()), token="demo-token") as moodle:
        config = write_config(tmp_path, moodle.base_url)
        config.write_text(
            config.read_text(encoding="utf-8") + f'\n[issuance]\nob2 = "{mode}"\n',
            encoding="utf-8",
        )
        monkeypatch.setenv("BADGEFLOW_CONFIG", str(config))
        settings = settings_from(config)
        initialise(settings)
        runtime = Runtime(settings)
        with runtime.sessions.begin() as session:
            store.start_batch(session, batch_id="b1", as_of=AS_OF, started_at=AS_OF)
        for source in settings.sources:
            ingest_source(runtime, source.name, batch_id="b1", as_of=AS_OF, full_resync=False)
        evaluate_awards(runtime, batch_id="b1", as_of=AS_OF)
        issue_credentials(runtime, pending_award_ids(runtime)[:3], batch_id="b1", issued_at=AS_OF)
        publish_site(runtime, generated_at=AS_OF)
    return runtime


@pytest.fixture(params=["hosted", "signed"])
def runtime(request, tmp_path, monkeypatch):
    runtime = _runtime(tmp_path, monkeypatch, request.param)
    yield runtime
    runtime.engine.dispose()


def _ids(runtime):
    with runtime.sessions() as session:
        return [r.credential_id for r in store.list_credentials(session)]


def _files(root):
    """Each file's inode and mtime: a rewritten file has a new inode."""
    return {
        p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def _verify(path):
    result = runner.invoke(app, ["verify", str(path), "--at", CHECK_AT, "--json"])
    report = json.loads(result.output)
    return result.exit_code, {c["name"]: c["passed"] for c in report["checks"]}, report


def test_every_published_form_verifies_then_shows_the_revocation(runtime):
    site = runtime.settings.site.output_dir / "ob2"
    signed = runtime.settings.issuance.ob2 == "signed"
    cid = _ids(runtime)[0]
    forms = [site / "assertions" / f"{cid}.{ext}" for ext in ("png", "svg")]
    forms.append(site / "assertions" / f"{cid}.{'jwt' if signed else 'json'}")
    issuer = json.loads((site / "issuer.json").read_text(encoding="utf-8"))
    assert issuer["id"] == f"{runtime.settings.site.base_url}/ob2/issuer.json"
    assert ("revocationList" in issuer) is signed
    expected = dict.fromkeys(OB2_CHECK_NAMES, True)
    if not signed:
        assert unbake_png(forms[0].read_bytes()) == json.dumps(
            json.loads((site / "assertions" / f"{cid}.json").read_text(encoding="utf-8")),
            separators=(",", ":"),
            ensure_ascii=False,
        )
    else:
        assert unbake_svg(forms[1].read_text(encoding="utf-8")) == forms[2].read_text("utf-8")
    for form in forms:
        code, checks, report = _verify(form)
        assert (code, checks) == (0, expected), (form.name, report)
    result = runner.invoke(app, ["revoke", cid, "--reason", "plagiarised exam", "--no-publish"])
    assert result.exit_code == 0, result.output
    before = _files(runtime.settings.site.output_dir)
    publish_site(runtime, generated_at=AS_OF)
    # Everything is deterministic (RS256 signatures too): only what the revocation changes
    # is written again.
    after = _files(runtime.settings.site.output_dir)
    with runtime.sessions() as session:
        token = store.get_credential(session, cid).accept_token
    assert {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)} == {
        f"credentials/{cid}/index.html",
        # the learner's accept pages say the badge was revoked
        f"{layout.accept_page(token)}index.html",
        f"{layout.accepted_page(token)}index.html",
        "status/revocation/1",
        f"ob2/assertions/{cid}.json",
        *(["ob2/revocations.json"] if signed else []),
    }
    hosted = json.loads((site / "assertions" / f"{cid}.json").read_text(encoding="utf-8"))
    assert hosted["revoked"] is True and hosted["revocationReason"] == "plagiarised exam"
    if signed:
        listing = json.loads((site / "revocations.json").read_text(encoding="utf-8"))
        assert listing["revokedAssertions"] == [
            {"id": hosted["id"], "revocationReason": "plagiarised exam"}
        ]
    for form in forms:
        code, checks, report = _verify(form)
        assert (code, checks) == (1, {**expected, "status": False}), (form.name, report)
        assert any("plagiarised exam" in e for e in report["errors"])
    other = _ids(runtime)[1]
    assert _verify(site / "assertions" / f"{other}.png")[0] == 0


def test_ob2_off_publishes_nothing(tmp_path, monkeypatch):
    runtime = _runtime(tmp_path, monkeypatch, "off")
    assert not (runtime.settings.site.output_dir / "ob2").exists()
    runtime.engine.dispose()


def test_kept_credentials_keep_their_hosted_ob2_files_without_making_them(tmp_path, monkeypatch):
    from badgeflow.site.ob2 import Ob2Assertions
    from tests.badgeflow.site.test_render_cache import age_manifest

    runtime = _runtime(tmp_path, monkeypatch, "hosted")
    site = runtime.settings.site.output_dir
    age_manifest(site)  # no file is racily clean: every credential is a cache candidate
    ob2 = site / "ob2" / "assertions"
    before = {p.name: p.read_bytes() for p in ob2.iterdir()}
    assert len(before) == 3 * 3  # JSON, PNG and SVG of each of the three credentials

    def refuse(self, item, jws=None):
        raise AssertionError(f"made the OB 2.0 files of kept credential {item.credential_id}")

    monkeypatch.setattr(Ob2Assertions, "files", refuse)
    report = publish_site(runtime, generated_at=AS_OF)
    assert report.files_changed == 0 and report.credentials_rendered == 0
    monkeypatch.undo()

    # A deleted OB 2.0 file, or the reason changed alone (suspended both times, so the
    # credential's own state is the same), makes them again.
    victim = sorted(before)[0]
    (ob2 / victim).unlink()
    publish_site(runtime, generated_at=AS_OF)
    assert (ob2 / victim).read_bytes() == before[victim]
    first = _ids(runtime)[0]
    with runtime.sessions.begin() as session:
        store.change_status(session, first, "suspend", reason="first", actor="t", at=AS_OF)
    publish_site(runtime, generated_at=AS_OF)
    age_manifest(site)
    with runtime.sessions.begin() as session:
        store.change_status(session, first, "reinstate", reason="back", actor="t", at=AS_OF)
        store.change_status(session, first, "suspend", reason="second", actor="t", at=AS_OF)
    publish_site(runtime, generated_at=AS_OF)
    shown = json.loads((ob2 / f"{first}.json").read_text(encoding="utf-8"))
    assert shown["revoked"] is True and shown["revocationReason"] == "suspended: second"
    runtime.engine.dispose()


@pytest.mark.parametrize("signed", [False, True], ids=["hosted", "signed"])
def test_ob2_paths_are_the_files_made(tmp_path, monkeypatch, signed):
    from badgeflow.pipeline.ob2 import Ob2Publish
    from badgeflow.pipeline.publish import site_achievements

    runtime = _runtime(tmp_path, monkeypatch, "signed" if signed else "hosted")
    ob2 = Ob2Publish(runtime, site_achievements(runtime), generated_at=AS_OF)
    with runtime.sessions() as session:
        records = store.list_credentials(session)
    for r in records:
        make, cache = ob2.extras(r)
        assert make is not None
        made = [path for path, _ in make()]
        item = ob2.credential(r)
        assert sorted(made) == sorted(ob2._assertions.paths(item, signed=signed))
        assert cache is None if signed else cache == (ob2._assertions.cache_key(item), tuple(made))
    runtime.engine.dispose()
