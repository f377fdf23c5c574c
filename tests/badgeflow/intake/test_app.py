"""The ASGI intake: authentication, size and shape checks, dedupe, durability."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from badgeflow import store
from badgeflow.fakelms.webhooks import Delivery, completion_event, signed
from badgeflow.intake import IntakeApp, intake_source
from badgeflow.store.schema import WebhookEvent
from tests.badgeflow.intake.conftest import NOW, SECRET, SOURCES, post, stored

VENDOR_SOURCES = {s.vendor: s for s in SOURCES if s.name not in ("zap",)}


def event(vendor: str, event_id: str = "101", **kw):
    args = (
        dict(
            event_id=event_id,
            user_id="501",
            email="Ada@Example.org",
            course_id="3101",
            completed_at=NOW - timedelta(hours=1),
            score=91.0,
        )
        | kw
    )
    return completion_event(vendor, **args)


def delivery_for(source, payload, *, secret=None, now=NOW, msg_id="msg_1"):
    return signed(
        source.vendor,
        payload,
        auth=source.auth,
        secret=secret or source.secret.get_secret_value(),
        now=now,
        header=source.header,
        msg_id=msg_id,
    )


@pytest.mark.parametrize("vendor", sorted(VENDOR_SOURCES))
def test_each_vendors_completion_is_stored_and_a_redelivery_is_a_duplicate(
    app, sessions, started, vendor
):
    source = VENDOR_SOURCES[vendor]
    delivery = delivery_for(source, event(vendor))

    first = post(app, f"/hooks/{source.name}", delivery)
    again = post(app, f"/hooks/{source.name}", delivery)

    assert first.status_code == 200, first.text
    assert first.json() == {"status": "stored", "stored": 1, "duplicates": 0}
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    rows = stored(sessions, source.name)
    assert len(rows) == 1 and rows[0].vendor == vendor and rows[0].received_at == NOW
    assert rows[0].read_at is None and rows[0].consumed_at is None
    assert started == [source.name]  # the trigger fires for new events only


def test_a_bad_signature_is_refused_with_401_and_nothing_stored(app, sessions, caplog):
    source = VENDOR_SOURCES["generic"]
    delivery = delivery_for(source, event("generic"), secret="wrong")

    with caplog.at_level(logging.DEBUG):
        response = post(app, "/hooks/bridge", delivery)

    assert response.status_code == 401
    assert response.json() == {"error": "authentication failed: signature does not match"}
    assert stored(sessions) == []
    assert SECRET not in caplog.text and SECRET not in response.text


def test_a_tampered_body_fails_the_signature(app, sessions):
    good = delivery_for(VENDOR_SOURCES["generic"], event("generic"))
    tampered = Delivery(good.body.replace(b"91.0", b"99.0"), good.headers)

    assert post(app, "/hooks/bridge", tampered).status_code == 401
    assert stored(sessions) == []


@pytest.mark.parametrize("vendor", ["generic", "360learning"])
@pytest.mark.parametrize("skew", [timedelta(minutes=6), -timedelta(minutes=6)])
def test_a_signature_too_old_or_from_the_future_is_refused(app, sessions, vendor, skew):
    source = VENDOR_SOURCES[vendor]
    delivery = delivery_for(source, event(vendor), now=NOW - skew)

    response = post(app, f"/hooks/{source.name}", delivery)

    assert response.status_code == 401
    assert "300 s from the intake's clock" in response.json()["error"]
    assert stored(sessions) == []


def test_a_replayed_signed_delivery_within_the_window_is_a_duplicate(app, sessions):
    source = VENDOR_SOURCES["360learning"]
    delivery = delivery_for(source, event("360learning"), now=NOW - timedelta(minutes=4))

    assert post(app, "/hooks/360-hooks", delivery).json()["status"] == "stored"
    assert post(app, "/hooks/360-hooks", delivery).json()["status"] == "duplicate"
    assert [r.event_key for r in stored(sessions)] == ["msg_1"]


def test_360learning_accepts_the_previous_secret_during_rotation(app, sessions):
    delivery = delivery_for(
        VENDOR_SOURCES["360learning"], event("360learning"), secret="whsec_b2xkLWtleQ=="
    )

    assert post(app, "/hooks/360-hooks", delivery).status_code == 200


@pytest.mark.parametrize(
    ("name", "headers", "params"),
    [
        ("zap", {"Authorization": "Bearer wrong"}, {}),
        ("zap", {}, {}),
        ("csod-hooks", {"X-Csod-Key": "wrong"}, {}),
        ("canvas-live", {}, {"token": "wrong"}),
        ("docebo-hooks", {"X-Badgeflow-Token": SECRET[:-1]}, {}),
    ],
)
def test_a_wrong_or_missing_token_is_refused(app, sessions, name, headers, params):
    body = json.dumps(event("generic")).encode()
    delivery = Delivery(body, {"Content-Type": "application/json"} | headers, params)

    assert post(app, f"/hooks/{name}", delivery).status_code == 401
    assert stored(sessions) == []


def test_the_generic_event_with_a_bearer_token(app, sessions):
    delivery = signed("generic", event("generic"), auth="bearer", secret=SECRET, now=NOW)

    response = post(app, "/hooks/zap", delivery)

    assert response.status_code == 200
    (row,) = stored(sessions, "zap")
    assert row.event_key == "id:101" and row.payload["score"] == 91.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"event_id": None}, "missing or non-string field(s): event_id"),
        ({"learner_email": 7, "course_id": ""}, "learner_email, course_id"),
        ({"completed_at": "yesterday"}, "completed_at is not an ISO 8601 date-time"),
        ({"completed_at": "2026-11-30T10:00:00"}, "completed_at needs a UTC offset"),
        ({"score": 140}, "score must be a number from 0 to 100"),
        ({"score": "90"}, "score must be a number from 0 to 100"),
    ],
)
def test_a_malformed_generic_event_gets_400_naming_the_problem(app, sessions, change, message):
    payload = event("generic") | change
    response = post(app, "/hooks/bridge", delivery_for(VENDOR_SOURCES["generic"], payload))

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert stored(sessions) == []


def test_a_body_that_is_not_json_gets_400(app):
    source = VENDOR_SOURCES["generic"]
    good = delivery_for(source, {})
    broken = signed("generic", {}, auth="hmac", secret=SECRET, now=NOW)
    broken = Delivery(
        b"{not json",
        good.headers
        | {
            "x-badgeflow-signature": "sha256="
            + __import__("badgeflow.intake", fromlist=["sign_generic"]).sign_generic(
                SECRET, good.headers["x-badgeflow-timestamp"], b"{not json"
            ),
        },
    )

    response = post(app, "/hooks/bridge", broken)

    assert response.status_code == 400
    assert response.json()["error"].startswith("body is not UTF-8 JSON")


def test_a_vendor_shape_mismatch_gets_400(app):
    delivery = delivery_for(VENDOR_SOURCES["docebo"], {"hello": "world"})

    response = post(app, "/hooks/docebo-hooks", delivery)

    assert response.status_code == 400
    assert response.json() == {"error": "a Docebo message has 'event' and 'payload'"}


def test_other_vendor_events_are_acknowledged_and_ignored(app, sessions, started):
    payload = event("docebo") | {"event": "course.enrollment.created"}

    response = post(app, "/hooks/docebo-hooks", delivery_for(VENDOR_SOURCES["docebo"], payload))

    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert stored(sessions) == [] and started == []


def test_docebo_grouped_payloads_and_cornerstone_batches_store_one_event_each(app, sessions):
    docebo = event("docebo", "m-9")
    docebo["payloads"] = [docebo.pop("payload"), docebo_payload_for("502")]
    csod = event("cornerstone", "ev-1")
    csod["records"] += event("cornerstone", "ev-2", user_id="502")["records"]
    csod["records"].append({"value": {"lmsEventsCase": "TrainingAssigned"}})

    post(app, "/hooks/docebo-hooks", delivery_for(VENDOR_SOURCES["docebo"], docebo))
    post(app, "/hooks/csod-hooks", delivery_for(VENDOR_SOURCES["cornerstone"], csod))

    assert [r.event_key for r in stored(sessions, "docebo-hooks")] == ["m-9#0", "m-9#1"]
    assert [r.event_key for r in stored(sessions, "csod-hooks")] == ["ev-1", "ev-2"]


def docebo_payload_for(user_id: str):
    return event("docebo", user_id=user_id)["payload"]


def test_oversized_bodies_get_413_whether_declared_or_streamed(app, sessions):
    payload = event("generic") | {"course_name": "x" * 5000}
    delivery = delivery_for(VENDOR_SOURCES["generic"], payload)

    declared = post(app, "/hooks/bridge", delivery)

    async def chunks():
        for _ in range(5):
            yield b"x" * 1000

    async def streamed():
        import httpx

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://i") as client:
            return await client.post(
                "/hooks/bridge", content=chunks(), headers={"Content-Type": "application/json"}
            )

    assert declared.status_code == 413
    assert declared.json() == {"error": "body larger than 4096 bytes"}
    assert asyncio.run(streamed()).status_code == 413
    assert stored(sessions) == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_a_body_that_is_not_declared_json_gets_415(app, content_type):
    good = delivery_for(VENDOR_SOURCES["generic"], event("generic"))
    delivery = Delivery(good.body, good.headers | {"Content-Type": content_type})

    response = post(app, "/hooks/bridge", delivery)

    assert response.status_code == 415
    assert response.json() == {"error": "send the event as application/json"}


def test_unknown_sources_get_404_and_other_methods_405(app):
    delivery = delivery_for(VENDOR_SOURCES["generic"], event("generic"))

    assert post(app, "/hooks/nobody", delivery).status_code == 404
    assert post(app, "/elsewhere", delivery).status_code == 404
    get = post(app, "/hooks/bridge", Delivery(b""), method="GET")
    assert get.status_code == 405 and get.headers["allow"] == "POST"
    assert post(app, "/healthz", Delivery(b""), method="GET").json() == {"status": "ok"}


def test_the_event_is_committed_before_the_2xx_is_sent(app, sessions):
    delivery = delivery_for(VENDOR_SOURCES["generic"], event("generic"))
    seen_at_answer: list[int] = []
    headers = [(k.lower().encode(), v.encode()) for k, v in delivery.headers.items()]
    headers.append((b"content-length", str(len(delivery.body)).encode()))
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/hooks/bridge",
        "headers": headers,
        "query_string": b"",
    }
    messages = [{"type": "http.request", "body": delivery.body, "more_body": False}]

    async def receive():
        return messages.pop(0)

    async def send(message):
        if message["type"] == "http.response.start":
            # A fresh session: only committed rows are visible.
            seen_at_answer.append(len(stored(sessions)))
            seen_at_answer.append(message["status"])

    asyncio.run(app(scope, receive, send))

    assert seen_at_answer == [1, 200]


def test_when_the_database_cannot_store_the_answer_is_503_so_the_sender_retries(tmp_path, started):
    engine = store.make_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # never migrated
    app = IntakeApp(
        {"bridge": intake_source(SOURCES[0])},
        store.session_factory(engine),
        clock=lambda: NOW,
        on_stored=started.append,
    )

    response = post(app, "/hooks/bridge", delivery_for(SOURCES[0], event("generic")))

    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert started == []
    engine.dispose()


def test_a_failing_trigger_does_not_change_the_answer(sessions, caplog):
    def boom(source):
        raise RuntimeError("prefect is down")

    app = IntakeApp(
        {"bridge": intake_source(SOURCES[0])}, sessions, clock=lambda: NOW, on_stored=boom
    )

    response = post(app, "/hooks/bridge", delivery_for(SOURCES[0], event("generic")))

    assert response.status_code == 200
    assert "on-stored callback failed" in caplog.text
    with sessions() as session:
        assert session.scalar(select(WebhookEvent.event_key)) == "id:101"
