from __future__ import annotations

import socket

import httpx
import pytest

from badgeflow.site.serve import serve
from tests.badgeflow.site.factories import build, make_credentials

CID0 = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def site(tmp_path):
    build(tmp_path, credentials=make_credentials(2))
    return tmp_path / "site"


def get(url: str) -> httpx.Response:
    # trust_env=False: never route loopback requests through a proxy from the environment.
    with httpx.Client(trust_env=False, timeout=5) as client:
        return client.get(url)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("index.html", "text/html"),
        ("", "text/html"),
        (f"credentials/{CID0}/", "text/html"),
        (f"credentials/{CID0}.json", "application/json"),
        (f"credentials/{CID0}.png", "image/png"),
        (".well-known/did.json", "application/json"),
        ("issuer/profile.json", "application/json"),
        ("achievements/data-foundations.svg", "image/svg+xml"),
        ("static/site.css", "text/css"),
    ],
)
def test_serves_files_with_the_right_content_type(site, path, content_type):
    with serve(site, port=0) as server:
        response = get(server.url + path)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == content_type
    on_disk = site / path
    if path == "" or path.endswith("/"):
        on_disk = on_disk / "index.html"
    assert response.content == on_disk.read_bytes()


def test_missing_files_are_404_and_the_server_stops(site):
    server = serve(site, host="127.0.0.1", port=0)
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert get(server.url + "credentials/nope.json").status_code == 404
        port = int(server.url.rstrip("/").rsplit(":", 1)[1])
    finally:
        server.stop()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_status_lists_without_an_extension_are_served_as_json(site):
    listing = site / "status" / "revocation" / "1"
    listing.parent.mkdir(parents=True)
    listing.write_text('{"id": "x"}', encoding="utf-8")
    with serve(site, port=0) as server:
        response = get(f"{server.url}status/revocation/1")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"id": "x"}
