"""The per-batch page in the Prefect UI, and a summary read back from the ledger."""

from __future__ import annotations

from pathlib import Path

from badgeflow.pipeline.batch_report import BatchReport, artifact_key, mask_emails, report_link
from badgeflow.pipeline.summary import BatchSummary

STAGE = {"status": "succeeded", "started_at": "t0", "finished_at": "t1", "counts": {"rows": 9}}


def _summary() -> BatchSummary:
    return BatchSummary(
        batch_id="B-1",
        as_of="2026-11-29T12:00:00+00:00",
        rows_read=9,
        rows_quarantined=2,
        rows_awarded=5,
        rows_not_yet_eligible=2,
        quarantine_reasons={"email: not an address (Ada@Example.org)": 2},
        credentials_issued=5,
        emails_sent=4,
        emails_deferred=1,
        reports_dir="/srv/var/reports/B-1",
    )


def test_a_summary_survives_the_ledger_round_trip():
    summary = _summary()
    stored = {**summary.as_dict(), "a_field_from_a_newer_version": 1}
    assert BatchSummary.from_dict(stored) == summary


def test_artifact_keys_are_what_prefect_accepts():
    assert artifact_key("1A2b_3C/4") == "batch-1a2b-3c-4"
    assert artifact_key("") == "batch-unnamed"


def test_the_report_link_is_a_url_when_reports_are_served_else_the_file():
    var = Path("/srv/var")
    folder = "/srv/var/reports/B-1"
    assert report_link(folder, "https://ops.example/reports/", var) == (
        "https://ops.example/reports/B-1/validation.html"
    )
    assert report_link(folder, None, var) == "/srv/var/reports/B-1/validation.html"
    assert report_link("", "https://ops.example/reports", var) == ""


def test_the_page_shows_every_stage_quarantine_credentials_and_emails_but_no_address():
    report = BatchReport(
        summary=_summary(),
        status="failed",
        stages={"ingest": STAGE, "evaluate": {**STAGE, "status": "running"}},
        quarantine=[
            {"source": "csv", "record_id": "bob@example.org|c1", "row": 3, "reason": "a|b"},
        ],
        report_link="https://ops.example/reports/B-1/validation.html",
        credentials_by_achievement={"data-foundations": 5},
        note="The batch FAILED: see the logs.",
    ).markdown()
    assert report.startswith("# Batch `B-1`: failed\n\nAs of 2026-11-29T12:00:00+00:00.")
    assert "| ingest | succeeded | t0 | t1 | rows 9 |" in report
    assert "| issue | not run | | | |" in report and "| notify | not run |" in report
    assert "| email: not an address (<email>) | 2 |" in report
    assert "| csv | <email>\\|c1 | 3 | a\\|b |" in report
    assert "[https://ops.example/reports/B-1/validation.html](https" in report
    assert "| data-foundations | 5 |" in report
    assert "| Sent | 4 |" in report and "| Deferred (mail server unreachable) | 1 |" in report
    assert "@" not in report


def test_mask_emails_leaves_other_text_alone():
    assert mask_emails("a.b+c@x.example.org, row 4 @ 5") == "<email>, row 4 @ 5"
