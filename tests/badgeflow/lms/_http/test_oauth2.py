from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from badgeflow.errors import SourceAuthError, is_transient
from badgeflow.fakelms._server import FakeLMSServer, FakeRequest, FakeResponse
from badgeflow.lms._http import ApiClient, OAuth2ClientCredentials, RetryPolicy

CLIENT_ID, SECRET = "badgeflow", "client-secret-0123456789"


class FakeOAuthLMS(FakeLMSServer):
    """A token endpoint and one protected resource."""

    vendor = "OAuthLMS"

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.path == "/oauth2/token":
            return self.client_credentials(request, CLIENT_ID, SECRET, expires_in=600)
        if not self.token_is_live(request.bearer()):
            return FakeResponse.json({"error": "invalid_token"}, 401)
        return FakeResponse.json({"items": [1, 2]})


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def server():
    with FakeOAuthLMS() as server:
        yield server


def api_for(server, auth):
    retry = RetryPolicy(sleep=lambda s: None)
    return ApiClient(server.base_url, vendor="OAuthLMS", auth=auth, retry=retry, timeout=5)


def token_requests(server):
    return [r for r in server.requests if r.path == "/oauth2/token"]


@pytest.mark.parametrize("style", ["basic", "form", "json"])
def test_token_is_fetched_once_and_reused(server, style):
    auth = OAuth2ClientCredentials("/oauth2/token", CLIENT_ID, SECRET, style=style, clock=Clock())

    with api_for(server, auth) as api:
        assert api.get_json("/things", what="things") == {"items": [1, 2]}
        assert api.get_json("/things", what="things") == {"items": [1, 2]}

    assert len(token_requests(server)) == 1
    assert auth.tokens_fetched == 1


def test_token_is_renewed_before_it_expires(server):
    clock = Clock()
    auth = OAuth2ClientCredentials("/oauth2/token", CLIENT_ID, SECRET, clock=clock)

    with api_for(server, auth) as api:
        api.get_json("/things", what="things")
        clock.now += timedelta(seconds=600 - 61)
        api.get_json("/things", what="things")
        clock.now += timedelta(seconds=2)  # inside the 60 s margin
        api.get_json("/things", what="things")

    assert auth.tokens_fetched == 2


def test_a_401_refreshes_once_and_repeats_the_request(server, caplog):
    caplog.set_level(logging.DEBUG, logger="badgeflow")
    auth = OAuth2ClientCredentials("/oauth2/token", CLIENT_ID, SECRET, clock=Clock())

    with api_for(server, auth) as api:
        api.get_json("/things", what="things")
        server.expire_tokens()  # the server revokes tokens early
        assert api.get_json("/things", what="things") == {"items": [1, 2]}

    assert auth.tokens_fetched == 2
    assert SECRET not in caplog.text


def test_a_401_that_persists_after_refresh_is_an_auth_error(server):
    class Stubborn(FakeOAuthLMS):
        def handle(self, request):
            if request.path == "/oauth2/token":
                return super().handle(request)
            return FakeResponse.json({"error": "invalid_token"}, 401)

    with Stubborn() as stubborn:
        auth = OAuth2ClientCredentials("/oauth2/token", CLIENT_ID, SECRET, clock=Clock())
        with api_for(stubborn, auth) as api, pytest.raises(SourceAuthError):
            api.get_json("/things", what="things")

        assert auth.tokens_fetched == 2
        assert [r.path for r in stubborn.requests].count("/things") == 2


def test_a_wrong_secret_fails_fast_without_showing_it(server):
    wrong = "wrong-secret-9876543210"
    auth = OAuth2ClientCredentials("/oauth2/token", CLIENT_ID, wrong, style="form", clock=Clock())

    with api_for(server, auth) as api, pytest.raises(SourceAuthError) as caught:
        api.get_json("/things", what="things")

    assert not is_transient(caught.value)
    assert wrong not in str(caught.value)
    assert len(token_requests(server)) == 1
    assert wrong not in repr(auth)


def test_a_throttled_token_endpoint_is_retried(server):
    server.throttle_next(1)
    auth = OAuth2ClientCredentials("/oauth2/token", CLIENT_ID, SECRET, clock=Clock())

    with api_for(server, auth) as api:
        assert api.get_json("/things", what="things") == {"items": [1, 2]}

    assert len(token_requests(server)) == 2
