"""The branded award, re-issue and revocation emails: MIME structure, inline images, links."""

from __future__ import annotations

import re
from datetime import date
from email import message_from_bytes, policy
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from badgeflow.catalog_branding import Branding, Colours
from badgeflow.notify.compose import EmailDesign
from badgeflow.notify.render import render_reissued_email, render_revoked_email
from badgeflow.site import layout
from tests.badgeflow.notify.test_render import (
    BASE,
    CREDENTIAL_ID,
    PNG,
    make_achievement,
    make_issuer,
    make_links,
    render_email,
)

CATALOG = Path(__file__).resolve().parents[3] / "badge_catalog"
BADGE = (CATALOG / "images" / "data-foundations.png").read_bytes()
LOGO = (CATALOG / "images" / "issuer.png").read_bytes()
DESIGN = EmailDesign(
    branding=Branding(
        sender_name="Example Academy Badges",
        reply_to="help@academy.example.org",
        support_email="help@academy.example.org",
        support_url="https://academy.example.org/help",
        footer="Example Academy, 1 Example Street.",
        colours=Colours(primary="#7c2d12", accent="#9a3412"),
    ),
    logo_png=LOGO,
)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def branded(**overrides):
    kwargs = dict(
        design=DESIGN,
        badge_png=BADGE,
        email_message="Next: **Applied Data**. See [the pathway](https://academy.example.org/p?a=1&b=2).",
        issued=date(2025, 12, 3),
        expires=date(2027, 12, 3),
    )
    kwargs.update(overrides)
    return render_email(**kwargs)


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_mime_tree_related_inside_alternative_inside_mixed():
    message = message_from_bytes(branded().as_bytes(), policy=policy.default)
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, related = alternative.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html, *images = related.get_payload()
    assert html.get_content_type() == "text/html"
    assert [i.get_content_type() for i in images] == ["image/png", "image/png"]
    assert {i.get_content_disposition() for i in images} == {"inline"}
    assert sorted(i.get_content() for i in images) == sorted([LOGO, BADGE])
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "data-foundations.png"
    assert attachment.get_content() == PNG
    assert [a.get_filename() for a in message.iter_attachments()] == ["data-foundations.png"]


def test_every_cid_part_is_referenced_and_every_cid_reference_exists():
    message = branded()
    cids = {str(part["Content-ID"]).strip("<>") for part in message.walk() if part["Content-ID"]}
    assert len(cids) == 2
    referenced = {
        attrs["src"].removeprefix("cid:")
        for tag, attrs in tags(html_of(message))
        if tag == "img" and (attrs.get("src") or "").startswith("cid:")
    }
    assert referenced == cids
    assert "achievements/data-foundations.png" not in html_of(message)  # no remote image


def test_rendering_is_deterministic_byte_for_byte():
    assert branded().as_bytes() == branded().as_bytes()


def test_images_have_alt_width_and_height():
    images = [attrs for tag, attrs in tags(html_of(branded())) if tag == "img"]
    assert len(images) == 2
    for attrs in images:
        assert attrs["alt"] and attrs["width"] and attrs["height"]
    assert {a["alt"] for a in images} == {"Data Foundations badge", "Example Academy & Co"}
    logo = next(a for a in images if a["alt"] == "Example Academy & Co")
    assert (logo["width"], logo["height"]) == ("40", "40")  # 256x256 scaled to 40 high


@pytest.mark.parametrize("kind", ["award", "reissued", "revoked"])
def test_html_is_email_safe_inline_styles_only_no_scripts(kind):
    message = {"award": branded, "reissued": reissued, "revoked": revoked}[kind]()
    html = html_of(message)
    found = {tag for tag, _ in tags(html)}
    assert not found & {"script", "style", "link", "form", "iframe", "object", "embed"}
    assert not re.search(r"\son[a-z]+\s*=", html)  # no event handlers
    assert "javascript:" not in html.lower()
    assert "<table" in html  # table layout for Outlook
    assert len(html.encode()) < 100_000  # clients clip longer messages (Gmail: 102 KB)
    for tag, attrs in tags(html):
        assert "class" not in attrs, tag  # nothing to style it with once <style> is gone
    colours = DESIGN.branding.colours
    assert colours.accent in html and colours.muted in html


def test_award_links_accept_download_verify_linkedin_and_share():
    message = branded()
    html, text = html_of(message), text_of(message)
    links = make_links()
    hrefs = [attrs["href"] for tag, attrs in tags(html) if tag == "a"]
    for url in (links.accept, links.download_png, links.download_json, links.credential_page):
        assert url in hrefs and url in text
    assert links.linkedin in hrefs and links.linkedin in text
    assert links.share in hrefs and links.share in text
    channels = [
        layout.join_url(BASE, layout.share_redirect(CREDENTIAL_ID, c))
        for c in layout.SHARE_CHANNELS
    ]
    assert [url for _, url in links.share_channels] == channels
    for url in channels:
        assert url in hrefs and url in text
    params = parse_qs(urlsplit(links.linkedin).query)
    assert params["issueYear"] == ["2025"] and params["issueMonth"] == ["12"]
    assert params["expirationYear"] == ["2027"] and params["expirationMonth"] == ["12"]
    assert params["certUrl"] == [links.credential_page] and params["certId"] == [CREDENTIAL_ID]
    assert params["name"] == ["Data Foundations"]
    assert params["organizationName"] == ["Example Academy & Co"]


def test_what_it_is_for_message_criteria_and_dates():
    message = branded()
    html, text = html_of(message), text_of(message)
    assert "Next: <strong>Applied Data</strong>." in html
    assert 'href="https://academy.example.org/p?a=1&amp;b=2"' in html
    assert "Next: Applied Data. See the pathway (https://academy.example.org/p?a=1&b=2)." in text
    assert "Pass the <strong>final</strong> assessment." in html  # the criteria narrative
    assert "Pass the final assessment." in text
    assert "Can clean, join and summarise tabular data." in html
    assert "valid until 3 December 2027" in html and "valid until 3 December 2027" in text
    assert "does not expire" in text_of(branded(expires=None))


def test_branding_sets_sender_name_reply_to_footer_and_contacts():
    message = branded(from_address="Ops Name <badges@academy.example.org>")
    sender = message["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == (
        "Example Academy Badges",
        "badges@academy.example.org",  # the address stays the setting's
    )
    assert message["Reply-To"] == "help@academy.example.org"
    html, text = html_of(message), text_of(message)
    for part in (html, text):
        assert "Example Academy, 1 Example Street." in part
        assert "help@academy.example.org" in part and "https://academy.example.org/help" in part
    assert "Reply-To" not in render_email()  # no branding, no Reply-To


def test_transactional_headers_and_no_list_unsubscribe():
    message = branded()
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    assert "List-Unsubscribe" not in message
    assert "Date" not in message


def reissued(**overrides):
    kwargs = dict(
        to_address="ada@example.com",
        learner_name="Ada Lovelace",
        achievement=make_achievement(),
        issuer=make_issuer(),
        links=make_links(),
        awarded=date(2025, 12, 3),
        from_address="Example Academy <badges@academy.example.org>",
        baked_png=PNG,
        message_id_domain="badges.example.org",
        design=DESIGN,
        badge_png=BADGE,
    )
    kwargs.update(overrides)
    return render_reissued_email(**kwargs)


def revoked(**overrides):
    kwargs = dict(
        to_address="ada@example.com",
        learner_name="Ada Lovelace",
        achievement=make_achievement(),
        issuer=make_issuer(),
        credential_page=make_links().credential_page,
        awarded=date(2025, 12, 3),
        reason="Awarded in error",
        from_address="Example Academy <badges@academy.example.org>",
        message_id_domain="badges.example.org",
        design=DESIGN,
    )
    kwargs.update(overrides)
    return render_revoked_email(**kwargs)


def test_reissued_email_is_branded_with_share_links():
    message = reissued()
    html, text = html_of(message), text_of(message)
    links = make_links()
    assert message["Message-ID"].startswith("<reissue.")
    assert message["From"].addresses[0].display_name == "Example Academy Badges"
    for url in (links.credential_page, links.download_png, links.share):
        assert url in html and url in text
    assert links.linkedin in text
    assert len([t for t, a in tags(html) if t == "img"]) == 2
    assert [a.get_filename() for a in message.iter_attachments()] == ["data-foundations.png"]


def test_revoked_email_has_no_share_linkedin_or_download_links():
    message = revoked()
    html, text = html_of(message), text_of(message)
    assert "linkedin" not in (html + text).lower()
    assert "/share/" not in html + text
    assert ".png" not in text and ".json" not in html + text
    assert make_links().credential_page in html
    assert list(message.iter_attachments()) == []
    assert "Example Academy, 1 Example Street." in html


def test_message_without_the_baked_attachment_stays_small():
    # Inline badge + logo + both parts: well under the ~100 KB where Gmail clips a message.
    assert len(branded(baked_png=None).as_bytes()) < 100_000
