from __future__ import annotations

import time

import httpx
import pytest

from badgeflow.fakelms._server import FakeLMSServer, FakeRequest, FakeResponse


class EchoLMS(FakeLMSServer):
    vendor = "Echo"

    def handle(self, request: FakeRequest) -> FakeResponse:
        return FakeResponse.json(
            {"path": request.path, "q": request.param("q"), "many": request.params("t[]")}
        )


@pytest.fixture
def server():
    with EchoLMS() as server:
        yield server


def test_serves_on_loopback_and_stops():
    server = EchoLMS().start()
    url = server.base_url
    assert url.startswith("http://127.0.0.1:")
    assert httpx.get(url + "/a?q=1&t[]=x&t[]=y").json() == {
        "path": "/a",
        "q": "1",
        "many": ["x", "y"],
    }
    server.stop()
    with pytest.raises(RuntimeError):
        _ = server.base_url
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/a", timeout=1)


def test_requests_are_recorded_without_secret_values(server):
    httpx.get(
        server.base_url + "/x?apikey=K1&source=badgeflow",
        headers={"Authorization": "Bearer T1"},
    )

    (recorded,) = server.requests
    assert recorded.query == (("apikey", "***"), ("source", "badgeflow"))
    assert "authorization" in recorded.header_names
    assert "T1" not in repr(recorded) and "K1" not in repr(recorded)


def test_fail_throttle_then_recover(server):
    server.fail_next(2, status=502)
    server.throttle_next(1)

    statuses = [httpx.get(server.base_url + "/x").status_code for _ in range(4)]

    assert statuses == [502, 502, 429, 200]


def test_faults_can_wait_for_normal_requests(server):
    server.fail_next(1, status=500, after=2)

    statuses = [httpx.get(server.base_url + "/x").status_code for _ in range(4)]

    assert statuses == [200, 200, 500, 200]


def test_throttle_default_sends_retry_after(server):
    server.throttle_next(1)

    response = httpx.get(server.base_url + "/x")

    assert response.headers["Retry-After"] == "1"


def test_truncated_answer_breaks_the_connection(server):
    server.truncate_next(1)

    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(server.base_url + "/x")
    assert httpx.get(server.base_url + "/x").status_code == 200


def test_slow_answer_times_the_client_out(server):
    server.delay_next(1, 0.5)

    with pytest.raises(httpx.ReadTimeout):
        httpx.get(server.base_url + "/x", timeout=0.1)
    time.sleep(0.5)  # let the delayed handler finish before the server stops


def test_tokens_expire_on_demand(server):
    token = server.issue_token()
    assert server.token_is_live(token) and not server.tokens_expired

    server.expire_tokens()

    assert not server.token_is_live(token)
    assert server.tokens_expired
    assert server.token_is_live(server.issue_token())
    assert not server.token_is_live(None)


def test_unimplemented_vendor_raises():
    with pytest.raises(NotImplementedError):
        FakeLMSServer().handle(FakeRequest("GET", "/", [], {}, b""))
