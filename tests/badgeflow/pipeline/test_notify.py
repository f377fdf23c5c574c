"""The send loop against a real SMTP server on loopback: reuse, retries, crashes, pilot, bounces.

The last tests spread a chunk over several connections (``mail.smtp_connections``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from badgeflow import store
from badgeflow.notify.ratelimit import RateLimiter
from badgeflow.notify.smtp import SmtpMailer
from badgeflow.notify.wire import prepare
from badgeflow.pipeline import (
    Runtime,
    apply_bounces,
    email_render,
    enqueue_emails,
    pending_email_ids,
    send_emails,
)
from badgeflow.pipeline.email_render import outbox_email_parts
from badgeflow.pipeline.notify import pilot_allows, retry_time
from badgeflow.store.schema import EmailOutbox
from tests.badgeflow.notify.smtp_servers import Handler, free_port
from tests.badgeflow.pipeline.issued import AS_OF, issued_runtime

BOUNCES = Path(__file__).resolve().parents[2] / "fixtures" / "bounces"
HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("delivery")
    url = f"sqlite:///{root / 'badgeflow.db'}"
    with issued_runtime(root, url, count=4, publish=False) as runtime:
        yield runtime


@pytest.fixture
def queue(base):
    """A fresh outbox of four award emails; returns their ids, oldest first."""
    with base.sessions.begin() as session:
        session.execute(delete(EmailOutbox))
    assert enqueue_emails(base) == 4
    return pending_email_ids(base)


def runtime_with(base: Runtime, mailer, **mail) -> Runtime:
    settings = base.settings.model_copy(update={"mail": base.settings.mail.model_copy(update=mail)})
    runtime = Runtime(settings)
    runtime.__dict__.update(
        engine=base.engine, sessions=base.sessions, catalog=base.catalog, mailer=mailer
    )
    return runtime


def smtp(servers, handler: Handler) -> SmtpMailer:
    server = servers.start(handler)
    return SmtpMailer(server.hostname, server.port, timeout=5)


def rows(runtime: Runtime) -> list[EmailOutbox]:
    with runtime.sessions() as session:
        found = list(session.scalars(select(EmailOutbox).order_by(EmailOutbox.id)))
        session.expunge_all()
        return found


def test_a_chunk_goes_over_one_connection_and_a_rerun_sends_nothing(base, servers, queue):
    handler = Handler()
    runtime = runtime_with(base, smtp(servers, handler))
    result = send_emails(runtime, queue, now=AS_OF)
    assert (result.sent, result.failed, result.held) == (4, 0, 0)
    assert handler.connections == 1
    assert [r.status for r in rows(runtime)] == ["sent"] * 4
    assert handler.message_ids() == [r.message_id for r in rows(runtime)]
    assert len(set(handler.message_ids())) == 4
    # The re-run: nothing is pending, and sending the same chunk again sends nothing.
    assert pending_email_ids(runtime, now=AS_OF + HOUR) == []
    again = send_emails(runtime, queue, now=AS_OF + HOUR)
    assert (again.sent, again.failed) == (0, 0)
    assert len(handler.received) == 4


def test_550_fails_for_good_and_451_is_retried_after_the_backoff(base, servers, queue):
    handler = Handler(
        rcpt_replies=["550 5.1.1 <{address}>: No such user"],
        data_replies=["451 4.3.0 Try again later"],
    )
    runtime = runtime_with(base, smtp(servers, handler))
    first = send_emails(runtime, queue, now=AS_OF)
    assert (first.sent, first.failed, first.permanent) == (2, 2, 1)
    refused, deferred = rows(runtime)[:2]
    assert (refused.status, refused.permanent, refused.last_code) == ("failed", True, "550")
    assert refused.to_address not in refused.last_error
    assert (deferred.status, deferred.permanent, deferred.last_code) == ("failed", False, "451")
    assert deferred.next_attempt_at == AS_OF + timedelta(minutes=15)
    # Not before its time; then sent. The refused one never comes back.
    assert pending_email_ids(runtime, now=AS_OF + timedelta(minutes=14)) == []
    assert pending_email_ids(runtime, now=AS_OF + HOUR) == [deferred.id]
    later = send_emails(runtime, queue, now=AS_OF + HOUR)
    assert (later.sent, later.failed) == (1, 0)
    assert [r.status for r in rows(runtime)] == ["failed", "sent", "sent", "sent"]
    assert rows(runtime)[1].attempts == 2


def test_transient_failures_become_final_after_max_attempts(base, servers, queue):
    handler = Handler(data_replies=["451 4.3.0 later"] * 2)
    runtime = runtime_with(base, smtp(servers, handler), max_attempts=2)
    send_emails(runtime, queue[:1], now=AS_OF)
    result = send_emails(runtime, queue[:1], now=AS_OF + HOUR)
    assert (result.failed, result.permanent) == (1, 1)
    (row,) = rows(runtime)[:1]
    assert (row.status, row.permanent, row.attempts, row.next_attempt_at) == (
        "failed",
        True,
        2,
        None,
    )
    assert pending_email_ids(runtime, now=AS_OF + timedelta(days=9)) == queue[1:]


def test_a_drop_mid_data_is_retried_and_the_duplicate_is_recognisable(base, servers, queue):
    handler = Handler(drop_data={1})
    runtime = runtime_with(base, smtp(servers, handler))
    first = send_emails(runtime, queue, now=AS_OF)
    assert (first.sent, first.failed, first.permanent) == (3, 1, 0)
    assert handler.connections == 2  # the drop, then one reconnection for the other three
    second = send_emails(runtime, pending_email_ids(runtime, now=AS_OF + HOUR), now=AS_OF + HOUR)
    assert (second.sent, second.failed) == (1, 0)
    # The server got the dropped message twice, with the same Message-ID: a known duplicate.
    ids = handler.message_ids()
    assert len(ids) == 5 and len(set(ids)) == 4
    assert ids[0] == ids[-1] == rows(runtime)[0].message_id
    assert send_emails(runtime, queue, now=AS_OF + 2 * HOUR).sent == 0


def test_a_configuration_error_raises_before_anything_is_claimed(base, servers, queue):
    from badgeflow.errors import DeliveryError

    server = servers.start(Handler())  # no STARTTLS offered: a configuration error
    mailer = SmtpMailer(server.hostname, server.port, security="starttls", timeout=5)
    with pytest.raises(DeliveryError):
        send_emails(runtime_with(base, mailer), queue, now=AS_OF)
    assert {(r.status, r.attempts) for r in rows(base)} == {("pending", 0)}


def test_a_dead_server_stops_the_chunk_and_leaves_the_rest_queued(base, servers, queue):
    handler = Handler(drop_data={1, 2})
    runtime = runtime_with(base, smtp(servers, handler))
    result = send_emails(runtime, queue, now=AS_OF)
    assert (result.sent, result.failed, result.deferred) == (0, 2, 2)
    assert [r.status for r in rows(runtime)] == ["failed", "failed", "pending", "pending"]


def test_an_unreachable_server_touches_nothing(base, queue):
    runtime = runtime_with(base, SmtpMailer("127.0.0.1", free_port(), timeout=5))
    result = send_emails(runtime, queue, now=AS_OF)
    assert (result.sent, result.failed, result.deferred) == (0, 0, 4)
    assert [(r.status, r.attempts, r.message_id) for r in rows(runtime)] == [
        ("pending", 0, None)
    ] * 4


class CrashingMailer:
    """Delivers through a real mailer, then 'crashes' after the n-th message is delivered."""

    def __init__(self, inner: SmtpMailer, crash_after: int) -> None:
        self.inner = inner
        self.crash_after = crash_after

    def session(self):
        mailer = self

        class _Session:
            def __init__(self, real) -> None:
                self.real = real

            def __enter__(self):
                self.real.__enter__()
                return self

            def __exit__(self, *exc):
                return self.real.__exit__(*exc)

            def open(self):
                self.real.open()

            def send(self, message):
                message_id = self.real.send(message)
                mailer.crash_after -= 1
                if mailer.crash_after == 0:
                    raise KeyboardInterrupt("simulated crash after delivery")
                return message_id

        return _Session(self.inner.session())


def test_a_crash_after_delivery_is_resent_with_the_same_message_id(base, servers, queue):
    handler = Handler()
    real = smtp(servers, handler)
    crashing = runtime_with(base, CrashingMailer(real, crash_after=2))
    with pytest.raises(KeyboardInterrupt):
        send_emails(crashing, queue, now=AS_OF)
    statuses = [r.status for r in rows(crashing)]
    assert statuses == ["sent", "sending", "pending", "pending"]
    in_flight = rows(crashing)[1]
    assert in_flight.message_id == handler.message_ids()[1]  # evidence: recorded before sending

    # The next run, within the lease: the in-flight row is left alone.
    runtime = runtime_with(base, real)
    soon = send_emails(runtime, pending_email_ids(runtime, now=AS_OF), now=AS_OF)
    assert (soon.sent, soon.resent) == (2, 0)
    # After the lease it is presumed crashed: resent, same Message-ID, and the row says so.
    late = AS_OF + timedelta(minutes=31)
    after = send_emails(runtime, pending_email_ids(runtime, now=late), now=late)
    assert (after.sent, after.resent) == (1, 1)
    assert [r.status for r in rows(runtime)] == ["sent"] * 4
    assert "interrupted" in rows(runtime)[1].last_error
    ids = handler.message_ids()
    assert len(ids) == 5 and ids.count(in_flight.message_id) == 2 and len(set(ids)) == 4


def test_pilot_holds_everyone_else_until_it_is_cleared(base, servers, queue):
    handler = Handler()
    mailer = smtp(servers, handler)
    with base.sessions() as session:
        items = store.emails_to_send(session, queue)
    tester = items[2].to_address.upper()  # matched case-insensitively
    pilot = runtime_with(base, mailer, pilot_recipients=[tester])
    result = send_emails(pilot, queue, now=AS_OF)
    assert (result.sent, result.held, result.failed) == (1, 3, 0)
    assert [r.status for r in rows(pilot)] == ["held", "held", "sent", "held"]
    # Still piloting: still held, nothing new sent.
    again = send_emails(pilot, pending_email_ids(pilot, now=AS_OF + HOUR), now=AS_OF + HOUR)
    assert (again.sent, again.held) == (0, 3)
    # Pilot over: the held ones go out, once.
    live = runtime_with(base, mailer)
    released = send_emails(live, pending_email_ids(live, now=AS_OF + HOUR), now=AS_OF + HOUR)
    assert (released.sent, released.held) == (3, 0)
    assert [r.status for r in rows(live)] == ["sent"] * 4
    assert len(handler.received) == 4


def test_pilot_rules(base, queue):
    with base.sessions() as session:
        item = store.emails_to_send(session, queue[:1])[0]
    mail = base.settings.mail
    assert pilot_allows(mail, item)
    other = mail.model_copy(update={"pilot_recipients": ["tester@example.org"]})
    assert not pilot_allows(other, item)
    by_badge = mail.model_copy(update={"pilot_achievements": [item.achievement_id]})
    assert pilot_allows(by_badge, item)
    both = by_badge.model_copy(update={"pilot_recipients": ["tester@example.org"]})
    assert not pilot_allows(both, item)
    assert not pilot_allows(mail.model_copy(update={"pilot_achievements": ["x"]}), item)


def test_backoff_doubles_and_is_capped():
    from badgeflow.settings import MailSettings

    mail = MailSettings(retry_backoff_minutes=10)
    assert [retry_time(mail, n, AS_OF) - AS_OF for n in (1, 2, 3)] == [
        timedelta(minutes=10),
        timedelta(minutes=20),
        timedelta(minutes=40),
    ]
    assert retry_time(mail, 30, AS_OF) - AS_OF == timedelta(days=1)


def test_bounces_mark_the_rows_they_quote(base, queue):
    postfix = "<award.6f1c2b8e-3d4a-5b6c-9d7e-8f9a0b1c2d3e@badges.example.org>"
    delayed = "<award.aaaaaaaa-bbbb-5ccc-8ddd-eeeeeeeeeeee@badges.example.org>"
    with base.sessions.begin() as session:
        store.mark_sent(session, queue[0], message_id=postfix, sent_at=AS_OF)
        store.mark_sent(session, queue[1], message_id=delayed, sent_at=AS_OF)
    runtime = runtime_with(base, None, bounce_mailbox=BOUNCES)
    report = apply_bounces(runtime, now=AS_OF + HOUR)
    assert (report.reports, report.hard, report.soft, report.unmatched) == (6, 1, 1, 4)
    hard, soft = rows(runtime)[:2]
    assert (hard.status, hard.last_code, hard.bounced_at) == ("bounced", "5.1.1", AS_OF + HOUR)
    assert (soft.status, soft.last_code) == ("sent", "4.4.1")
    assert "@" not in hard.last_error and "@" not in soft.last_error
    again = apply_bounces(runtime, now=AS_OF + 2 * HOUR)
    assert (again.hard, again.soft, again.unchanged) == (0, 0, 2)
    assert rows(runtime)[0].bounced_at == AS_OF + HOUR


# Several SMTP connections (mail.smtp_connections): which email meets which answer depends on
# the threads; the counts and the states do not.


def test_three_connections_send_each_email_once(base, servers, queue):
    handler = Handler()
    runtime = runtime_with(base, smtp(servers, handler), smtp_connections=3)
    result = send_emails(runtime, queue, now=AS_OF)
    assert (result.sent, result.failed) == (4, 0)
    assert handler.connections == 3
    assert sorted(handler.message_ids()) == sorted(r.message_id for r in rows(runtime))
    assert len(set(handler.message_ids())) == 4
    assert [r.status for r in rows(runtime)] == ["sent"] * 4
    assert send_emails(runtime, queue, now=AS_OF + HOUR).sent == 0
    assert len(handler.received) == 4


def test_more_connections_than_emails_opens_one_per_email(base, servers, queue):
    handler = Handler()
    runtime = runtime_with(base, smtp(servers, handler), smtp_connections=8)
    assert send_emails(runtime, queue[:2], now=AS_OF).sent == 2
    assert handler.connections == 2


def test_refusals_and_a_drop_on_several_connections_are_each_recorded(base, servers, queue):
    handler = Handler(
        rcpt_replies=["550 5.1.1 <{address}>: No such user"],
        data_replies=["451 4.3.0 Try again later"],
    )
    runtime = runtime_with(base, smtp(servers, handler), smtp_connections=2)
    result = send_emails(runtime, queue, now=AS_OF)
    assert (result.sent, result.failed, result.permanent) == (2, 2, 1)
    states = sorted((r.status, r.permanent, r.last_code) for r in rows(runtime))
    assert states == [("failed", False, "451"), ("failed", True, "550"), ("sent", False, None)] + [
        ("sent", False, None)
    ]
    retry = next(r for r in rows(runtime) if r.last_code == "451")
    assert retry.next_attempt_at == AS_OF + timedelta(minutes=15)
    later = send_emails(runtime, pending_email_ids(runtime, now=AS_OF + HOUR), now=AS_OF + HOUR)
    assert (later.sent, later.failed) == (1, 0)
    assert len(set(handler.message_ids())) == 3 == len(handler.received)


def test_a_connection_dropped_mid_message_is_retried_later_the_others_carry_on(
    base, servers, queue
):
    handler = Handler(drop_data={1})
    runtime = runtime_with(base, smtp(servers, handler), smtp_connections=2)
    first = send_emails(runtime, queue, now=AS_OF)
    assert (first.sent, first.failed, first.permanent, first.deferred) == (3, 1, 0, 0)
    assert handler.connections == 3  # two, and the dropped one reconnected
    second = send_emails(runtime, pending_email_ids(runtime, now=AS_OF + HOUR), now=AS_OF + HOUR)
    assert (second.sent, second.failed) == (1, 0)
    ids = handler.message_ids()
    assert len(ids) == 5 and len(set(ids)) == 4  # the dropped one twice, same Message-ID
    assert [r.status for r in rows(runtime)] == ["sent"] * 4


def test_the_rate_limit_holds_for_all_connections_together(base, servers, queue):
    slept: list[float] = []
    limiter = RateLimiter(60, clock=lambda: sum(slept), sleep=slept.append)
    server = servers.start(Handler())
    mailer = SmtpMailer(server.hostname, server.port, timeout=5, rate_limiter=limiter)
    result = send_emails(runtime_with(base, mailer, smtp_connections=2), queue, now=AS_OF)
    assert result.sent == 4
    assert sum(slept) == pytest.approx(3.0)  # four at one a second: the first free


def test_a_crash_on_one_connection_records_what_the_others_sent(base, servers, queue):
    handler = Handler()
    crashing = runtime_with(
        base, CrashingMailer(smtp(servers, handler), crash_after=2), smtp_connections=2
    )
    with pytest.raises(KeyboardInterrupt):
        send_emails(crashing, queue, now=AS_OF)
    delivered = set(handler.message_ids())
    statuses = {r.id: r.status for r in rows(crashing)}
    # Nothing delivered is left pending; what was delivered and recorded is sent; the message
    # in flight when the crash hit stays 'sending'; nothing else is.
    for row in rows(crashing):
        if row.status == "sent":
            assert row.message_id in delivered
        if row.status == "pending":
            assert row.message_id is None
    assert list(statuses.values()).count("sending") == 1
    late = AS_OF + timedelta(minutes=31)
    runtime = runtime_with(base, smtp(servers, handler), smtp_connections=2)
    send_emails(runtime, pending_email_ids(runtime, now=late), now=late)
    assert [r.status for r in rows(runtime)] == ["sent"] * 4
    ids = handler.message_ids()
    assert len(set(ids)) == 4 and len(ids) - 4 <= 1  # at most the in-flight one twice


def test_award_emails_from_stencils_are_the_rendered_bytes(base, queue, monkeypatch):
    with base.sessions() as session:
        items = store.emails_to_send(session, queue, now=AS_OF)
    fast = [outbox_email_parts(base, item) for item in items]
    assert len(fast) == 4 and all(parts.encoded is not None for parts in fast)
    # Stencils switched off: every email rendered in full, as before them.
    monkeypatch.setattr(email_render, "_award_from_stencil", lambda *args: None)
    general = [outbox_email_parts(base, item) for item in items]
    assert all(parts.encoded is None for parts in general)
    assert [prepare(p) for p in fast] == [prepare(p) for p in general]
    assert [p.message().as_bytes() for p in fast] == [p.message().as_bytes() for p in general]
