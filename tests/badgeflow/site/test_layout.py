from __future__ import annotations

import pytest

from badgeflow.errors import CatalogError, CredentialError
from badgeflow.site import layout


def test_paths():
    assert layout.credential_page("abc-1") == "credentials/abc-1/"
    assert layout.credential_json("abc-1") == "credentials/abc-1.json"
    assert layout.credential_png("abc-1") == "credentials/abc-1.png"
    assert layout.achievement_page("sql") == "achievements/sql/"
    assert layout.achievement_json("sql") == "achievements/sql.json"
    assert layout.achievement_image("sql", "svg") == "achievements/sql.svg"
    assert (
        layout.join_url("https://x.org/b/", "credentials/a.json")
        == "https://x.org/b/credentials/a.json"
    )


@pytest.mark.parametrize("bad", ["", "..", "../x", "a/b", ".hidden", "a b", "é"])
def test_unsafe_names_are_refused(bad):
    with pytest.raises(CredentialError):
        layout.credential_json(bad)
    with pytest.raises(CatalogError):
        layout.achievement_page(bad)


def test_accepted_page_sits_under_the_accept_page():
    token = "0123456789abcdef0123456789abcdef"
    assert layout.accepted_page(token) == f"accept/{token}/accepted/"
    assert layout.accepted_page(token).startswith(layout.accept_page(token))
    with pytest.raises(CredentialError):
        layout.accepted_page("../x")
