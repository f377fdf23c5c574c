"""The ops failure alert: content from the batch ledger, nothing secret, sent over real SMTP."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from badgeflow.notify import FileMailer, SmtpMailer
from badgeflow.ops import FailedRun, build_alert_email, failed_stage, redact, run_url, send_alert
from badgeflow.settings import Settings
from tests.badgeflow.notify.smtp_servers import Handler, Servers

NOW = datetime(2026, 11, 30, 2, 41, 7, tzinfo=UTC)
RUN_ID = "0f6b9c52-6f0e-4d1e-9d58-2b1a4a0c7e11"


def batch(**stages):
    entries = {
        name: {"status": status, "counts": {"n": 3}, "started_at": "", "finished_at": ""}
        for name, status in stages.items()
    }
    return {"id": "b-17", "status": "failed", "stages": entries, "summary": {}}


@pytest.mark.parametrize(
    ("ledger", "stage"),
    [
        (None, None),
        (batch(), "ingest"),
        (batch(ingest="succeeded", evaluate="succeeded"), "issue"),
        (batch(ingest="halted"), "ingest"),
        (
            batch(
                ingest="succeeded",
                evaluate="succeeded",
                issue="succeeded",
                publish="succeeded",
                notify="succeeded",
            ),
            None,
        ),
    ],
)
def test_failed_stage_is_the_first_unfinished_one(ledger, stage):
    assert failed_stage(ledger) == stage


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("login as ana.lee@example.edu failed", "login as [email] failed"),
        (
            "cannot reach postgresql://badges:hunter22@db:5432/bf",
            "cannot reach postgresql://***:***@db:5432/bf",
        ),
        ("GET /api?token=abc123def&x=1 -> 401", "GET /api?token=[secret] -> 401"),
        ('passphrase: "open sesame" is wrong', "passphrase: [secret] is wrong"),
        ("Authorization: Bearer eyJhbGciOiJFZERTQSJ9.x", "Authorization: [secret] [secret]"),
        ("the moodle token expired", "the moodle token expired"),
        ("key s3cret-pw leaked", "key [secret] leaked"),
    ],
)
def test_redact_masks_secrets_and_addresses(text, expected):
    assert redact(text, ["s3cret-pw", ""]) == expected


def test_run_url_needs_a_ui_url():
    assert run_url(None, RUN_ID) is None
    assert run_url("http://p:4200/", RUN_ID) == f"http://p:4200/runs/flow-run/{RUN_ID}"


def ops_settings(tmp_path, **ops) -> Settings:
    return Settings(
        var_dir=tmp_path,
        ops={"alert_to": ["ops@example.org", "oncall@example.org"], **ops},
        mail={"from_address": "Badges <badges@academy.example>"},
    )


def alert(tmp_path, **ops):
    run = FailedRun(
        flow_name="nightly-issuance",
        flow_run_id=RUN_ID,
        flow_run_name="amber-okapi",
        deployment="nightly-issuance-moodle-demo-nightly",
        error="SourceAuthError: moodle-demo answered 403 for token=tok-777 (user ana@x.edu)",
        batch_id="b-17",
    )
    ledger = batch(ingest="succeeded", evaluate="succeeded")
    return build_alert_email(
        run, batch=ledger, settings=ops_settings(tmp_path, **ops), secrets=["tok-777"], now=NOW
    )


def test_the_alert_names_the_run_the_stage_and_links_without_secrets(tmp_path):
    message = alert(
        tmp_path, prefect_ui_url="http://prefect.internal:4200", reports_url="https://ops/reports"
    )
    body = message.get_content()
    assert message["Subject"] == (
        "[badgeflow] nightly-issuance failed: nightly-issuance-moodle-demo-nightly, batch b-17"
    )
    assert message["To"] == "ops@example.org, oncall@example.org"
    assert message["From"] == "Badges <badges@academy.example>"
    assert message["Message-ID"].endswith("@academy.example>")
    assert "Failed stage: issue" in body
    assert "evaluate  succeeded (n 3)" in body
    assert f"http://prefect.internal:4200/runs/flow-run/{RUN_ID}" in body
    assert "Validation report: https://ops/reports/b-17/validation.html" in body
    assert "rerun-batch-manual" in body and "batch_id b-17" in body
    assert "SourceAuthError: moodle-demo answered 403 for token=[secret] (user [email])" in body
    assert "tok-777" not in message.as_string() and "ana@x.edu" not in message.as_string()


def test_without_links_the_alert_says_what_to_set(tmp_path):
    body = alert(tmp_path).get_content()
    assert "Prefect run:  (set ops.prefect_ui_url)" in body
    assert "Validation report" not in body  # no reports_url and no report file


def test_a_report_on_disk_is_linked_by_its_path(tmp_path):
    report = tmp_path / "reports" / "b-17" / "validation.html"
    report.parent.mkdir(parents=True)
    report.write_text("<html></html>")
    assert f"Validation report: {report.resolve()}" in alert(tmp_path).get_content()


def test_a_run_without_a_batch_reports_no_stage(tmp_path):
    run = FailedRun("engagement-metrics", RUN_ID, state="Crashed", error="killed")
    message = build_alert_email(
        run, batch=None, settings=ops_settings(tmp_path), secrets=[], now=NOW
    )
    assert message["Subject"] == "[badgeflow] engagement-metrics crashed: no deployment, batch -"
    assert "Failed stage" not in message.get_content()


def test_the_alert_goes_out_over_smtp(tmp_path):
    servers, handler = Servers(), Handler()
    try:
        server = servers.start(handler)
        mailer = SmtpMailer(server.hostname, server.port, timeout=10)
        message_id = send_alert(mailer, alert(tmp_path))
    finally:
        servers.stop()
    [raw] = handler.received
    received = message_from_bytes(raw, policy=policy.default)
    assert received["Message-ID"] == message_id
    assert "Failed stage: issue" in received.get_content()


def test_the_file_transport_writes_the_alert_to_the_outbox(tmp_path):
    mailer = FileMailer(tmp_path / "outbox")
    message_id = send_alert(mailer, alert(tmp_path))
    assert "Failed stage: issue" in mailer.path_for(message_id).read_text()
