"""The nightly-issuance flow end to end, under Prefect, on the demo data and fake Moodle."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from badgeflow.credentials import unbake_png, verify_credential
from badgeflow.demo import demo_canvas_path, demo_dataset_path, demo_talentlms_path
from badgeflow.fakelms.canvas import CanvasDataset, FakeCanvas
from badgeflow.fakelms.moodle import FakeMoodle, MoodleDataset
from badgeflow.fakelms.talentlms import FakeTalentLMS, TalentLMSDataset
from tests.demo_env import initialise, settings_from, write_config

pytestmark = pytest.mark.slow

AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo_run(prefect_harness, tmp_path_factory):
    """Run the flow twice on the same data; yield both summaries and the settings."""
    from flows.nightly_issuance import nightly_issuance
    from tasks._settings import get_settings

    root = tmp_path_factory.mktemp("demo")
    canvas_data = CanvasDataset.load(demo_canvas_path())
    talent_data = TalentLMSDataset.load(demo_talentlms_path())
    with (
        FakeMoodle(MoodleDataset.load(demo_dataset_path()), token="demo-token") as moodle,
        FakeCanvas(canvas_data, token="demo-canvas-token") as canvas,
        FakeTalentLMS(talent_data, api_key="demo-talentlms-key") as talentlms,
    ):
        config = write_config(root, moodle.base_url, canvas.base_url, talentlms.base_url)
        settings = settings_from(config)
        initialise(settings)
        os.environ["BADGEFLOW_CONFIG"] = str(config)
        get_settings.cache_clear()
        try:
            first = nightly_issuance(as_of=AS_OF)
            emails_after_first = sorted(p.name for p in settings.mail.outbox_dir.glob("*.eml"))
            second = nightly_issuance(as_of=AS_OF)
        finally:
            del os.environ["BADGEFLOW_CONFIG"]
            get_settings.cache_clear()
    yield first, second, settings, emails_after_first


def test_first_run_accounts_for_every_row(demo_run):
    first, _, _, _ = demo_run
    assert first["balanced"] is True
    assert first["rows_read"] == (
        first["rows_quarantined"] + first["rows_awarded"] + first["rows_not_yet_eligible"]
    )
    assert first["rows_quarantined"] >= 5  # the bad rows of the demo CSV
    assert sum(first["quarantine_reasons"].values()) >= first["rows_quarantined"]
    assert first["new_awards"] > 0
    assert first["credentials_issued"] == first["new_awards"]
    assert first["emails_sent"] == first["credentials_issued"]
    assert first["site_credentials"] == first["credentials_issued"]


def test_every_pathway_tier_is_awarded(demo_run):
    first, _, _, _ = demo_run
    assert set(first["awards_by_achievement"]) == {
        "data-foundations",
        "data-applied",
        "certified-data-practitioner",
        "sql-essentials",
        "data-privacy-basics",
        "data-mentor",  # its sign-off and cohort come from the demo's fact files
    }


def test_second_run_issues_and_emails_nothing_new(demo_run):
    first, second, settings, emails_after_first = demo_run
    # The first batch succeeded, so its watermark holds: Moodle is read incrementally (the
    # overlap window and learners still in progress), Canvas and TalentLMS too, and the CSV
    # export (rows completed since the watermark, plus rows without a date).
    for name in ("moodle-demo", "canvas-demo", "talentlms-demo", "partner-lms-export"):
        assert 0 < second["rows_by_source"][name] < first["rows_by_source"][name]
    assert second["balanced"] is True
    assert (second["new_awards"], second["credentials_issued"], second["emails_sent"]) == (0, 0, 0)
    assert sorted(p.name for p in settings.mail.outbox_dir.glob("*.eml")) == emails_after_first
    assert second["site_credentials"] == first["credentials_issued"]
    # Nothing changed, so the incremental publish rewrote no file (status lists included).
    assert first["site_files_changed"] > 0 == first["site_files_unchanged"]
    assert (second["site_files_changed"], second["site_files_deleted"]) == (0, 0)
    assert second["site_files_unchanged"] == first["site_files_changed"]


def _status_lists(site: Path) -> list[Path]:
    return sorted(path for path in (site / "status").glob("*/*") if path.is_file())


def test_published_credentials_verify_with_our_verifier(demo_run):
    first, _, settings, _ = demo_run
    site = settings.site.output_dir
    did = json.loads((site / ".well-known" / "did.json").read_text())
    files = sorted((site / "credentials").glob("*.json"))
    assert len(files) == first["credentials_issued"]
    lists = {doc["id"]: doc for doc in map(json.loads, map(Path.read_text, _status_lists(site)))}
    assert len(lists) == 2  # revocation/1 and suspension/1, published even when unused
    for path in files:
        credential = json.loads(path.read_text())
        result = verify_credential(
            credential, did_documents={did["id"]: did}, now=AS_OF, status_lists=lists
        )
        assert result.verified, (path.name, result.errors)
        assert result.warnings == []
        # Revocation only by default: OB 3.0 allows one credentialStatus, an object.
        assert credential["credentialStatus"]["statusPurpose"] == "revocation"
        baked = (site / "credentials" / f"{path.stem}.png").read_bytes()
        assert json.loads(unbake_png(baked)) == credential


def test_published_credentials_pass_the_official_ob3_schema(demo_run):
    """Development check against 1EdTech's schema, on the files exactly as published."""
    import jsonschema

    schema_path = (
        Path(__file__).resolve().parents[2].parent
        / "shared/reference/openbadges/schemas/ob_v3p0_achievementcredential_schema.json"
    )
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(
        schema, format_checker=jsonschema.FormatChecker()
    )
    first, _, settings, _ = demo_run
    files = sorted((settings.site.output_dir / "credentials").glob("*.json"))
    assert len(files) == first["credentials_issued"] > 0
    errors = {
        path.name: [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]
        for path in files
        for doc in [json.loads(path.read_text(encoding="utf-8"))]
    }
    assert {name: found for name, found in errors.items() if found} == {}


def test_published_credentials_verify_with_digital_bazaar(demo_run):
    from tests.interop.digitalbazaar import verify_with_digitalbazaar

    _, _, settings, _ = demo_run
    site = settings.site.output_dir
    files = sorted((site / "credentials").glob("*.json"))
    results = verify_with_digitalbazaar(
        files, [site / ".well-known" / "did.json"], status_lists=_status_lists(site)
    )
    assert len(results) == len(files)
    failures = [r for r in results if not r["verified"]]
    assert failures == []


def test_no_learner_email_is_published(demo_run):
    _, _, settings, _ = demo_run
    emails = {user.email for user in MoodleDataset.load(demo_dataset_path()).users}
    for path in settings.site.output_dir.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".json"}:
            text = path.read_text(encoding="utf-8").lower()
            leaked = [e for e in emails if e.lower() in text]
            assert leaked == [], path


def test_a_learner_in_two_lmss_is_one_learner(demo_run):
    """Aisha Khan is in the Moodle demo and, as Aisha.Khan@Example.com, in TalentLMS."""
    from email import message_from_bytes

    _, _, settings, _ = demo_run
    mails = [message_from_bytes(p.read_bytes()) for p in settings.mail.outbox_dir.glob("*.eml")]
    recipients = {str(m["To"]).lower() for m in mails if "aisha.khan" in str(m["To"]).lower()}
    subjects = sorted(str(m["Subject"]) for m in mails if "aisha.khan" in str(m["To"]).lower())

    assert len(recipients) == 1  # one learner, one address, badges from both LMSs
    assert any("Data Privacy Basics" in s for s in subjects)  # from TalentLMS
    assert any("Data Foundations" in s for s in subjects)  # from Moodle


@pytest.fixture(scope="module")
def engagement_run(demo_run, tmp_path_factory):
    """Simulate the weeks after the demo batch, then run the engagement flow twice."""
    from badgeflow import store
    from badgeflow.demo.traffic import demo_engagement_toml, simulate_traffic
    from flows.engagement_metrics import engagement_metrics
    from tasks._settings import get_settings

    _, _, settings, _ = demo_run
    config = settings.var_dir.parent / "badgeflow.toml"
    traffic_dir = tmp_path_factory.mktemp("traffic")
    exports = tmp_path_factory.mktemp("exports")
    engine = store.make_engine(settings.database.url)
    traffic = simulate_traffic(
        store.session_factory(engine),
        base_url=settings.site.base_url,
        out_dir=traffic_dir,
        now=AS_OF,
    )
    config.write_text(
        config.read_text(encoding="utf-8") + "\n" + demo_engagement_toml(traffic_dir),
        encoding="utf-8",
    )
    os.environ["BADGEFLOW_CONFIG"] = str(config)
    get_settings.cache_clear()
    try:
        first = engagement_metrics(export_dir=str(exports))
        second = engagement_metrics()
    finally:
        del os.environ["BADGEFLOW_CONFIG"]
        get_settings.cache_clear()
    yield traffic, first, second, engine, exports, settings_from(config)
    engine.dispose()


def test_the_engagement_flow_counts_the_simulated_traffic_exactly(engagement_run):
    from sqlalchemy import func, select

    from badgeflow.store.schema import EngagementHit

    traffic, first, _, engine, _, _ = engagement_run
    (log,) = first["access_logs"]
    assert log["lines"] == traffic.lines
    assert log["conflict"] is False
    with engine.connect() as connection:
        stored = dict(
            connection.execute(
                select(EngagementHit.kind, func.count())
                .where(EngagementHit.audience == "person")
                .group_by(EngagementHit.kind)
            ).all()
        )
    assert stored == {k: v for k, v in traffic.person_hits.items() if v}
    (mail,) = first["mail_events"]
    assert mail["stored"] == traffic.mail_events
    assert mail["unmatched"] == 0


def test_the_engagement_flow_writes_metrics_dashboard_exports_and_artifacts(engagement_run):
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from badgeflow.metrics.read import read_view
    from badgeflow.metrics.views import VIEWS

    traffic, first, _, engine, exports, _ = engagement_run
    with engine.connect() as connection:
        overall = read_view(connection, "metrics_overall").iloc[0]
    assert overall["issued"] == traffic.credentials
    assert overall["accepted"] == traffic.outcomes["accepted"]
    assert overall["linkedin_shared"] == traffic.outcomes["shared_linkedin"]
    assert Path(first["dashboard"]).is_file()
    assert {Path(p).name for p in first["exports"]} == {
        f"{v.name}.{ext}" for v in VIEWS for ext in ("csv", "parquet")
    }
    assert all(Path(p).parent == exports for p in first["exports"])

    async def artifact_keys() -> set[str]:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(like_="metrics-"))
            )
        return {a.key for a in found}

    assert {"metrics-overall", "metrics-by-achievement", "metrics-pathway-funnel"} <= (
        asyncio.run(artifact_keys())
    )


def test_a_second_engagement_run_reads_nothing_new(engagement_run):
    _, _, second, _, _, _ = engagement_run
    (log,) = second["access_logs"]
    (mail,) = second["mail_events"]
    assert (log["lines"], mail["events"]) == (0, 0)
    assert second["metrics"]["credentials_recomputed"] == 0
