"""Online verification against a real loopback server of a built site (no mocks).

did:web needs https, which a loopback test cannot have: the fetcher's ``rewrite`` maps the
site's public https prefix to the local http server, after the https check.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from badgeflow.credentials.did_web import HttpFetcher, resolve_did_web
from badgeflow.credentials.online import verify_credential_online
from badgeflow.errors import CredentialError
from badgeflow.pipeline import Runtime, StatusRequest, change_statuses, publish_site
from badgeflow.site.serve import serve
from tests.badgeflow.pipeline.issued import AS_OF, issued_runtime

BASE = "https://badges.example.org"
DID = "did:web:badges.example.org"
NOW = AS_OF + timedelta(hours=1)


@pytest.fixture(scope="module")
def runtime(tmp_path_factory) -> Iterator[Runtime]:
    root = tmp_path_factory.mktemp("online")
    with issued_runtime(root, f"sqlite:///{root / 'db.sqlite'}", base_url=BASE, count=2) as rt:
        yield rt


@pytest.fixture
def site(runtime) -> Path:
    publish_site(runtime, generated_at=AS_OF)
    return runtime.settings.site.output_dir


@pytest.fixture
def fetcher(site) -> Iterator[HttpFetcher]:
    with serve(site, port=0) as server:
        yield HttpFetcher(rewrite=(f"{BASE}/", server.url))


def _credentials(site: Path) -> list[dict]:
    return [json.loads(p.read_text("utf-8")) for p in sorted(site.glob("credentials/*.json"))]


def _check(result, name: str):
    return next(check for check in result.checks if check.name == name)


def test_resolves_the_issuer_and_the_status_lists_over_http(site, fetcher):
    credentials = _credentials(site)
    assert len(credentials) == 2
    for credential in credentials:
        result = verify_credential_online(credential, now=NOW, fetcher=fetcher)
        assert result.verified, result.errors
        assert _check(result, "issuer").passed is True
        assert _check(result, "status").passed is True


def test_reports_a_suspension_published_on_the_site(runtime, site, fetcher):
    # Suspension, not revocation: reinstated afterwards, the module's runtime stays clean.
    credential = _credentials(site)[0]
    request = StatusRequest(credential["id"], "test")
    change_statuses(runtime, [request], "suspend", actor="t", at=AS_OF)
    try:
        publish_site(runtime, generated_at=AS_OF)
        result = verify_credential_online(credential, now=NOW, fetcher=fetcher)
    finally:
        change_statuses(runtime, [request], "reinstate", actor="t", at=AS_OF)
    assert not result.verified
    assert "SUSPENDED" in _check(result, "status").detail


def test_missing_did_json_fails_the_issuer_check_with_the_404(site, fetcher):
    (site / ".well-known" / "did.json").unlink()
    result = verify_credential_online(_credentials(site)[0], now=NOW, fetcher=fetcher)
    issuer = _check(result, "issuer")
    assert issuer.passed is False
    assert issuer.detail.startswith(
        f"did:web resolution of {DID} failed: {BASE}/.well-known/did.json: HTTP 404"
    )
    assert result.errors[0] == issuer.detail.split("; ")[0]


def test_a_document_for_another_did_is_not_trusted(site, fetcher):
    path = site / ".well-known" / "did.json"
    document = json.loads(path.read_text("utf-8"))
    path.write_text(json.dumps({**document, "id": "did:web:evil.example"}), encoding="utf-8")
    with pytest.raises(CredentialError, match="describes 'did:web:evil.example', not did:web"):
        resolve_did_web(DID, fetcher)
    result = verify_credential_online(_credentials(site)[0], now=NOW, fetcher=fetcher)
    assert "describes 'did:web:evil.example'" in _check(result, "issuer").detail


def test_missing_status_list_fails_the_status_check(site, fetcher):
    for listing in site.glob("status/revocation/*"):
        listing.unlink()
    result = verify_credential_online(_credentials(site)[0], now=NOW, fetcher=fetcher)
    status = _check(result, "status")
    assert status.passed is False
    assert f"status list fetch failed: {BASE}/status/revocation/1: HTTP 404" in status.detail
    assert _check(result, "issuer").passed is True


def test_documents_at_hand_are_not_fetched(site):
    # No server at all: the given DID document and lists are enough.
    credential = _credentials(site)[0]
    did_doc = json.loads((site / ".well-known" / "did.json").read_text("utf-8"))
    lists = {
        entry["statusListCredential"]: json.loads(
            (site / entry["statusListCredential"].removeprefix(f"{BASE}/")).read_text("utf-8")
        )
        for entry in credential["credentialStatus"]
    }
    unreachable = HttpFetcher(rewrite=(f"{BASE}/", "http://127.0.0.1:9/"))
    result = verify_credential_online(
        credential, now=NOW, fetcher=unreachable, did_documents={DID: did_doc}, status_lists=lists
    )
    assert result.verified, result.errors


def test_too_large_a_document_is_refused(site, fetcher):
    small = HttpFetcher(max_bytes=64, rewrite=fetcher.rewrite)
    with pytest.raises(CredentialError, match="larger than 64 bytes"):
        resolve_did_web(DID, small)


def test_a_server_that_never_answers_times_out():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the connection in the backlog, never answers
        port = listener.getsockname()[1]
        slow = HttpFetcher(timeout=0.2, rewrite=(f"{BASE}/", f"http://127.0.0.1:{port}/"))
        with pytest.raises(CredentialError, match="timed out after 0.2 s"):
            resolve_did_web(DID, slow)


class _Redirect(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", "https://elsewhere.example/did.json")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args) -> None:
        pass


def test_redirects_are_reported_not_followed():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        fetcher = HttpFetcher(rewrite=(f"{BASE}/", f"http://127.0.0.1:{port}/"))
        with pytest.raises(CredentialError, match="302 redirect to https://elsewhere.example"):
            resolve_did_web(DID, fetcher)
    finally:
        server.shutdown()
        server.server_close()
