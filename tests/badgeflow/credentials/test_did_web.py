"""did:web → URL (the method spec's examples) and the HTTPS fetcher's refusals."""

from __future__ import annotations

import pytest

from badgeflow.credentials.did_web import HttpFetcher, did_web_url
from badgeflow.errors import CredentialError
from badgeflow.settings import did_web_from_url


@pytest.mark.parametrize(
    ("did", "url"),
    [
        # The did:web specification's examples (Read / Resolve).
        ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:example.com%3A3000", "https://example.com:3000/.well-known/did.json"),
        ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
        ("did:web:example.com", "https://example.com/.well-known/did.json"),
        ("did:web:example.com:path:to", "https://example.com/path/to/did.json"),
        # A fragment names a key in the document; the document's URL ignores it.
        ("did:web:example.com#key-1", "https://example.com/.well-known/did.json"),
        ("did:web:localhost%3A8000", "https://localhost:8000/.well-known/did.json"),
    ],
)
def test_did_web_url_follows_the_spec(did, url):
    assert did_web_url(did) == url


@pytest.mark.parametrize(
    "base_url",
    ["https://badges.example.org", "https://example.org:8443/badges/", "http://localhost:8000"],
)
def test_did_web_url_inverts_the_sites_did(base_url):
    did = did_web_from_url(base_url)
    expected_path = "/did.json" if "/badges" in base_url else "/.well-known/did.json"
    assert did_web_url(did).endswith(expected_path)
    assert did_web_url(did).removeprefix("https://").split("/")[0] == base_url.split("/")[2]


@pytest.mark.parametrize(
    "did",
    [
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "did:web:",
        "did:web:example.com::alice",
        "did:web:example.com:..:etc",
        "did:web:example.com%2Fevil",
        "did:web:user%40example.com",
        "did:web:example.com%3Aport",
    ],
)
def test_did_web_url_refuses_what_is_not_a_did_web(did):
    with pytest.raises(CredentialError):
        did_web_url(did)


def test_fetcher_refuses_plain_http():
    with pytest.raises(CredentialError, match="not an https URL"):
        HttpFetcher().fetch_json("http://127.0.0.1:9/.well-known/did.json")
