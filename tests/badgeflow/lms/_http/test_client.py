from __future__ import annotations

import logging

import httpx
import pytest

from badgeflow.errors import SourceAuthError, SourceError, SourceUnavailable, is_transient
from badgeflow.lms._http import (
    NO_RETRY,
    ApiClient,
    BearerToken,
    Redactor,
    RetryPolicy,
    classify_http,
)

SECRET = "sk-live-0123456789"


def client(responses, *, retry=None, classify=classify_http, auth=None):
    """An ApiClient whose transport answers `responses` in order and records requests."""
    sent: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    waits: list[float] = []
    policy = retry or RetryPolicy(max_attempts=4, sleep=waits.append, random=lambda: 0.5)
    api = ApiClient(
        "https://lms.test/api",
        vendor="Test",
        classify=classify,
        auth=auth,
        retry=policy,
        transport=httpx.MockTransport(handler),
        secrets=[SECRET],
    )
    return api, sent, waits


def test_ok_on_first_try_sends_base_url_and_auth():
    api, sent, waits = client([httpx.Response(200, json={"ok": True})], auth=BearerToken(SECRET))

    assert api.get_json("v1/things", what="things") == {"ok": True}
    assert str(sent[0].url) == "https://lms.test/api/v1/things"
    assert sent[0].headers["authorization"] == f"Bearer {SECRET}"
    assert waits == []


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_statuses_are_retried_with_backoff(status):
    api, sent, waits = client([httpx.Response(status), httpx.Response(status), httpx.Response(200)])

    assert api.request("GET", "x", what="x").status_code == 200
    assert len(sent) == 3
    assert waits == [0.5, 1.0]


def test_retry_after_seconds_and_dates_are_honoured():
    api, _, waits = client(
        [
            httpx.Response(429, headers={"Retry-After": "3"}),
            httpx.Response(503, headers={"Retry-After": "Thu, 01 Jan 1970 00:00:00 GMT"}),
            httpx.Response(200),
        ]
    )

    api.request("GET", "x", what="x")

    assert waits == [3.0, 0.0]


def test_gives_up_after_max_attempts_with_a_transient_error():
    api, sent, _ = client([httpx.Response(503)] * 4)

    with pytest.raises(SourceUnavailable, match="things: HTTP 503") as caught:
        api.request("GET", "x", what="things")

    assert len(sent) == 4
    assert is_transient(caught.value)


def test_gives_up_when_the_next_wait_would_pass_the_total_cap():
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=10, max_total_wait=5.0, sleep=waits.append)
    api, sent, _ = client([httpx.Response(429, headers={"Retry-After": "4"})] * 3, retry=policy)

    with pytest.raises(SourceUnavailable):
        api.request("GET", "x", what="x")

    assert waits == [4.0]
    assert len(sent) == 2


@pytest.mark.parametrize(("status", "error"), [(401, SourceAuthError), (403, SourceAuthError)])
def test_permanent_failures_fail_fast(status, error):
    api, sent, waits = client([httpx.Response(status)])

    with pytest.raises(error, match=f"HTTP {status}") as caught:
        api.request("GET", "x", what="x")

    assert len(sent) == 1 and waits == []
    assert not is_transient(caught.value)


def test_other_4xx_is_a_plain_source_error():
    api, _, _ = client([httpx.Response(404)])

    with pytest.raises(SourceError) as caught:
        api.request("GET", "x", what="x")

    assert type(caught.value) is SourceError


def test_transport_errors_are_transient_and_retried():
    api, sent, _ = client(
        [
            httpx.ConnectError("refused"),
            httpx.ReadTimeout("slow"),
            httpx.RemoteProtocolError("peer closed connection"),
            httpx.Response(200),
        ]
    )

    assert api.request("GET", "x", what="x").status_code == 200
    assert len(sent) == 4


def test_a_timeout_that_persists_names_it():
    api, _, _ = client([httpx.ReadTimeout("slow")], retry=NO_RETRY)

    with pytest.raises(SourceUnavailable, match="x: timed out at https://lms.test/api/x"):
        api.request("GET", "x", what="x")


def test_vendor_classifier_sees_http_200_error_bodies():
    def classify(response, what):
        body = response.json()
        if "exception" in body:
            return SourceUnavailable(f"{what}: {body['exception']}")
        return classify_http(response, what)

    api, sent, _ = client(
        [httpx.Response(200, json={"exception": "busy"}), httpx.Response(200, json={"a": 1})],
        classify=classify,
    )

    assert api.get_json("x", what="x") == {"a": 1}
    assert len(sent) == 2


def test_secrets_never_reach_logs_or_errors(caplog):
    caplog.set_level(logging.DEBUG, logger="badgeflow")

    def classify(response, what):
        return SourceAuthError(f"{what}: token {SECRET} refused at {response.request.url}")

    api, _, _ = client([httpx.Response(503), httpx.Response(200)], classify=classify)

    with pytest.raises(SourceAuthError) as caught:
        api.request("GET", "x", what="x", params={"apikey": "k-abcdef", "q": "1"})

    assert SECRET not in str(caught.value) and "k-abcdef" not in str(caught.value)
    assert "apikey=***" in str(caught.value)
    assert SECRET not in caplog.text


def test_json_of_a_non_json_answer_is_a_source_error():
    api, _, _ = client([httpx.Response(200, content=b"<html>login</html>")])

    with pytest.raises(SourceError, match="x: answer is not JSON"):
        api.get_json("x", what="x")


def test_static_bearer_token_is_not_refreshed_on_401():
    api, sent, _ = client([httpx.Response(401), httpx.Response(200)], auth=BearerToken(SECRET))

    with pytest.raises(SourceAuthError):
        api.request("GET", "x", what="x")

    assert len(sent) == 1
    assert "***" in repr(BearerToken(SECRET)) and SECRET not in repr(BearerToken(SECRET))


def test_redactor_hides_longest_secret_first_and_skips_tiny_ones():
    redact = Redactor(["abcd", "abcdefgh", "ab", ""])

    assert redact("x abcdefgh y abcd ab") == "x *** y *** ab"
    assert redact("?access_token=zzz&client_secret=yyy&page=2") == (
        "?access_token=***&client_secret=***&page=2"
    )
