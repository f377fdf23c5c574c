"""`badgeflow outbox` and `badgeflow bounces` on a small store."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from badgeflow import store
from badgeflow.cli import app
from badgeflow.models import LEARNER_EMAIL
from tests.badgeflow.store.factories import AS_OF, award, awards_frame, new_credential

BOUNCES = Path(__file__).resolve().parents[2] / "fixtures" / "bounces"
POSTFIX_ID = "<award.6f1c2b8e-3d4a-5b6c-9d7e-8f9a0b1c2d3e@badges.example.org>"
runner = CliRunner()


@pytest.fixture
def outbox_ids(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BADGEFLOW_CONFIG", raising=False)
    url = f"sqlite:///{tmp_path / 'badgeflow.db'}"
    monkeypatch.setenv("BADGEFLOW_DATABASE__URL", url)
    engine = store.make_engine(url)
    store.migrate(engine)
    sessions = store.session_factory(engine)
    with sessions.begin() as session:
        ids = store.insert_awards(
            session,
            awards_frame(award("k1"), award("k2", **{LEARNER_EMAIL: "bob@example.org"})),
            batch_id="b1",
        )
        store.save_credentials(
            session,
            [
                new_credential(ids[0], "11111111-1111-4111-8111-111111111111"),
                new_credential(ids[1], "22222222-2222-4222-8222-222222222222"),
            ],
        )
        store.enqueue_award_emails(session)
        first, second = (i.outbox_id for i in store.pending_emails(session))
        store.mark_sent(session, first, message_id=POSTFIX_ID, sent_at=AS_OF)
        store.mark_failed(
            session, second, error="550 5.1.1 no such user", code="550", permanent=True
        )
    engine.dispose()
    return first, second


def test_outbox_counts_states_and_lists_problems_without_addresses(outbox_ids):
    result = runner.invoke(app, ["outbox"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "pending 0  held 0  sending 0  sent 1  failed 1  bounced 0"
    assert any("failed!" in line and "550" in line for line in lines)
    assert "@example.org" not in result.output
    sent_only = runner.invoke(app, ["outbox", "--state", "sent"]).output
    assert "11111111-1111-4111-8111-111111111111" in sent_only
    assert "22222222-2222-4222-8222-222222222222" not in sent_only


def test_bounces_then_retry(outbox_ids):
    first, second = outbox_ids
    result = runner.invoke(app, ["bounces", "--mailbox", str(BOUNCES)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("bounce reports 6: 1 bounced, 0 delayed")
    assert "bounced 1" in runner.invoke(app, ["outbox"]).output
    assert runner.invoke(app, ["bounces", "--mailbox", str(BOUNCES)]).output.endswith(
        "1 already recorded\n"
    )
    retried = runner.invoke(app, ["outbox", "--retry", str(first)])
    assert retried.exit_code == 0 and "pending again" in retried.output
    assert runner.invoke(app, ["outbox", "--retry", str(first)]).exit_code == 1
    assert runner.invoke(app, ["outbox"]).output.startswith("pending 1  held 0  sending 0  sent 0")


def test_bounces_without_a_mailbox_explains(outbox_ids):
    result = runner.invoke(app, ["bounces"])
    assert result.exit_code == 2
    assert "mail.bounce_mailbox" in result.output
