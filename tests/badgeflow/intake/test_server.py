"""The intake under a real uvicorn server on loopback, and the debounced trigger."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import httpx
import uvicorn

from badgeflow.cli.intake import make_trigger
from badgeflow.fakelms.webhooks import completion_event, signed
from badgeflow.intake import DebouncedTrigger
from badgeflow.settings import Settings
from tests.badgeflow.intake.conftest import NOW, SECRET, stored


def test_a_real_server_stores_a_signed_generic_event(app, sessions):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()  # connections queue in the backlog until uvicorn accepts: no start-up wait
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    payload = completion_event(
        "generic",
        event_id="r-1",
        user_id="9",
        email="ada@example.org",
        course_id="SQL110",
        completed_at=NOW - timedelta(minutes=5),
        score=88.0,
    )
    delivery = signed("generic", payload, auth="hmac", secret=SECRET, now=NOW)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            response = client.post("/hooks/bridge", content=delivery.body, headers=delivery.headers)
            again = client.post("/hooks/bridge", content=delivery.body, headers=delivery.headers)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    assert response.status_code == 200 and response.json()["stored"] == 1
    assert again.json()["status"] == "duplicate"
    assert [e.event_key for e in stored(sessions)] == ["id:r-1"]


def test_the_trigger_starts_one_run_per_source_per_interval():
    now = [NOW]
    started: list[str] = []
    trigger = DebouncedTrigger(
        started.append, min_interval=timedelta(minutes=5), clock=lambda: now[0]
    )

    trigger("a")
    trigger("a")
    trigger("b")
    now[0] += timedelta(minutes=5)
    trigger("a")

    assert started == ["a", "b", "a"]


def test_a_failed_start_is_retried_at_the_next_event():
    calls: list[str] = []

    def start(source):
        calls.append(source)
        if len(calls) == 1:
            raise RuntimeError("prefect api down")

    trigger = DebouncedTrigger(start, min_interval=timedelta(hours=1), clock=lambda: NOW)
    try:
        trigger("a")
    except RuntimeError:
        pass
    trigger("a")

    assert calls == ["a", "a"]


def test_the_cli_wires_a_trigger_only_when_a_deployment_is_configured(monkeypatch):
    import badgeflow.cli.intake as cli

    assert make_trigger(Settings()) is None
    monkeypatch.setattr(cli, "TRIGGER_MODULE", "tests.badgeflow.intake.fake_trigger")
    settings = Settings(intake={"trigger_deployment": "nightly-issuance/manual"})

    trigger = make_trigger(settings)
    trigger("bridge")
    trigger("bridge")

    from tests.badgeflow.intake import fake_trigger

    assert fake_trigger.STARTED == [("nightly-issuance/manual", "bridge")]
