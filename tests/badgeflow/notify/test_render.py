from __future__ import annotations

import re
from datetime import date
from email import message_from_bytes, policy
from urllib.parse import parse_qs, urlencode, urlsplit

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badgeflow.models import AchievementInfo, IssuerInfo
from badgeflow.notify import render
from badgeflow.notify.render import (
    AwardLinks,
    award_links,
    linkedin_add_to_profile_url,
    render_award_email,
)

BASE = "https://badges.example.org"
CREDENTIAL_ID = "3f1c0e6a-7d0b-4b7e-9a51-0c2f6f1d2e11"
PNG = b"\x89PNG\r\n\x1a\nfake-baked-png"


def make_issuer() -> IssuerInfo:
    return IssuerInfo(
        id="did:web:badges.example.org",
        name="Example Academy & Co",
        url="https://academy.example.org",
        email="badges@academy.example.org",
    )


def make_achievement() -> AchievementInfo:
    return AchievementInfo(
        id=f"{BASE}/achievements/data-foundations/",
        slug="data-foundations",
        name="Data Foundations",
        description="Can clean, join and summarise tabular data.",
        criteria_narrative="Pass the **final** assessment.",
        criteria_url=f"{BASE}/achievements/data-foundations/#criteria",
        image_url=f"{BASE}/achievements/data-foundations.png",
        valid_for_days=730,
    )


def make_links() -> AwardLinks:
    return award_links(
        BASE,
        CREDENTIAL_ID,
        achievement=make_achievement(),
        issuer=make_issuer(),
        issued=date(2025, 12, 3),
        expires=date(2027, 12, 3),
    )


def render_email(**overrides):
    kwargs = dict(
        to_address="ada@example.com",
        learner_name="Ada Lovelace",
        achievement=make_achievement(),
        issuer=make_issuer(),
        links=make_links(),
        from_address="Example Academy <badges@academy.example.org>",
        baked_png=PNG,
        message_id_domain="badges.example.org",
    )
    kwargs.update(overrides)
    return render_award_email(**kwargs)


def parts(message):
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_headers_subject_and_deterministic_message_id():
    first = render_email()
    second = render_email(learner_name=None, baked_png=None)
    other = render_email(
        links=award_links(
            BASE,
            "another-id",
            achievement=make_achievement(),
            issuer=make_issuer(),
            issued=date(2025, 12, 3),
            expires=None,
        )
    )
    assert first["Subject"] == "You earned the Data Foundations badge"
    assert first["To"].addresses[0].addr_spec == "ada@example.com"
    assert first["To"].addresses[0].display_name == "Ada Lovelace"
    assert re.fullmatch(r"<award\.[0-9a-f-]{36}@badges\.example\.org>", first["Message-ID"])
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"] != other["Message-ID"]
    assert "Date" not in first


def test_structure_text_html_and_attachment_round_trip():
    message = message_from_bytes(render_email().as_bytes(), policy=policy.default)
    assert message.get_content_type() == "multipart/mixed"
    text, html = parts(message)
    assert "Hi Ada Lovelace," in text
    assert "<html" in html
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["data-foundations.png"]
    assert attachments[0].get_content_type() == "image/png"
    assert attachments[0].get_content() == PNG


def test_without_png_there_is_no_attachment_and_plain_alternative():
    message = render_email(baked_png=None)
    assert message.get_content_type() == "multipart/alternative"
    assert list(message.iter_attachments()) == []
    text, html = parts(message)
    assert "attached" not in text
    assert "attached" not in html


def test_every_link_is_in_both_parts():
    links = make_links()
    text, html = parts(render_email())
    for url in (links.accept, links.download_json, links.download_png, links.credential_page):
        assert url in text
        assert f'href="{url}"' in html
    assert links.linkedin in text
    # In HTML attributes '&' is escaped, which browsers undo.
    assert f'href="{links.linkedin.replace("&", "&amp;")}"' in html
    assert "View and accept your badge" in html
    assert "Add to LinkedIn" in html
    assert "verify" in text and "verify" in html


def test_html_escapes_learner_name_and_issuer_name():
    message = render_email(learner_name="<script>alert(1)</script>")
    _, html = parts(message)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Example Academy &amp; Co" in html


def test_greets_generically_without_a_name():
    message = render_email(learner_name=None)
    text, html = parts(message)
    assert text.startswith("Hello,")
    assert "Congratulations!" in html
    assert message["To"].addresses[0].display_name == ""


def test_never_contains_salt_or_hash():
    text, html = parts(render_email())
    for part in (text, html):
        assert "sha256$" not in part
        assert "salt" not in part.lower()


def test_strict_undefined_catches_a_missing_variable(monkeypatch):
    # A template referring to a variable the renderer does not pass must fail, not mail a blank.
    loader = jinja2.DictLoader(
        {"email/award.txt": "Hi {{ learner_nickname }}", "email/award.html": "<p>x</p>"}
    )
    env = jinja2.Environment(
        loader=loader, autoescape=jinja2.select_autoescape(), undefined=jinja2.StrictUndefined
    )
    monkeypatch.setattr(render, "_env", env)
    with pytest.raises(jinja2.UndefinedError):
        render_email()


def test_real_environment_is_strict():
    assert render._env.undefined is jinja2.StrictUndefined
    with pytest.raises(jinja2.UndefinedError):
        render._env.get_template("email/award.txt").render()


def query(url):
    parsed = urlsplit(url)
    assert (parsed.scheme, parsed.netloc, parsed.path) == (
        "https",
        "www.linkedin.com",
        "/profile/add",
    )
    return {k: v[0] for k, v in parse_qs(parsed.query, strict_parsing=True).items()}


@pytest.mark.parametrize(("issued", "month"), [(date(2025, 1, 31), "1"), (date(2025, 12, 1), "12")])
def test_linkedin_months_are_one_based(issued, month):
    url = linkedin_add_to_profile_url(
        name="X",
        organization_name="Y",
        issued=issued,
        expires=date(2026, 12, 31),
        cert_url=f"{BASE}/credentials/abc/",
        cert_id="abc",
    )
    params = query(url)
    assert params["issueMonth"] == month
    assert params["issueYear"] == "2025"
    assert params["expirationMonth"] == "12"
    assert params["expirationYear"] == "2026"


def test_linkedin_encodes_every_value_and_omits_missing_expiry():
    url = linkedin_add_to_profile_url(
        name="Data & AI: Level 1/2",
        organization_name="Académie Ünïversity",
        issued=date(2025, 6, 15),
        expires=None,
        cert_url=f"{BASE}/credentials/abc/?x=1&y=2",
        cert_id="abc def",
    )
    raw_query = urlsplit(url).query
    assert " " not in raw_query
    assert "Data+%26+AI%3A+Level+1%2F2" in raw_query
    assert (
        "certUrl=https%3A%2F%2Fbadges.example.org%2Fcredentials%2Fabc%2F%3Fx%3D1%26y%3D2"
        in raw_query
    )
    params = query(url)
    assert params == {
        "startTask": "CERTIFICATION_NAME",
        "name": "Data & AI: Level 1/2",
        "organizationName": "Académie Ünïversity",
        "issueYear": "2025",
        "issueMonth": "6",
        "certUrl": f"{BASE}/credentials/abc/?x=1&y=2",
        "certId": "abc def",
    }


def test_award_links_follow_the_site_layout():
    links = make_links()
    assert links.credential_page == f"{BASE}/credentials/{CREDENTIAL_ID}/"
    assert links.accept == f"{BASE}/credentials/{CREDENTIAL_ID}/#accept"
    assert links.download_json == f"{BASE}/credentials/{CREDENTIAL_ID}.json"
    assert links.download_png == f"{BASE}/credentials/{CREDENTIAL_ID}.png"
    params = query(links.linkedin)
    assert params["certUrl"] == links.credential_page
    assert params["certId"] == CREDENTIAL_ID
    assert params["organizationName"] == "Example Academy & Co"


def test_non_ascii_names_survive_serialisation():
    message = render_email(learner_name="Zoë Ōtani")
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["To"].addresses[0].display_name == "Zoë Ōtani"
    text, html = parts(parsed)
    assert "Hi Zoë Ōtani," in text
    assert "Congratulations, Zoë Ōtani!" in html


def test_revoked_email_names_the_badge_and_the_reason_with_a_stable_id():
    from badgeflow.notify.render import render_revoked_email

    def render_it():
        return render_revoked_email(
            to_address="ada@example.org",
            learner_name="Ada <Lovelace>",
            achievement=make_achievement(),
            issuer=make_issuer(),
            credential_page="https://badges.example.org/credentials/abc/",
            awarded=date(2026, 3, 1),
            reason="Exam <script> misconduct",
            from_address="Academy <badges@example.org>",
            message_id_domain="badges.example.org",
        )

    message = render_it()
    assert message["Subject"] == f"Your {make_achievement().name} badge has been revoked"
    assert message["Message-ID"] == render_it()["Message-ID"]
    assert message["Message-ID"].startswith("<revoked.")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Reason: Exam <script> misconduct" in text and "1 March 2026" in text
    assert "Exam &lt;script&gt; misconduct" in html and "<script>" not in html


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(max_size=40),
    organization=st.text(max_size=40),
    issued=st.dates(),
    expires=st.one_of(st.none(), st.dates()),
)
def test_the_linkedin_url_is_every_pair_urlencoded(name, organization, issued, expires):
    params = [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", name),
        ("organizationName", organization),
        ("issueYear", str(issued.year)),
        ("issueMonth", str(issued.month)),
    ]
    if expires is not None:
        params += [("expirationYear", str(expires.year)), ("expirationMonth", str(expires.month))]
    params += [("certUrl", f"{BASE}/credentials/{CREDENTIAL_ID}/"), ("certId", CREDENTIAL_ID)]
    assert (
        linkedin_add_to_profile_url(
            name=name,
            organization_name=organization,
            issued=issued,
            expires=expires,
            cert_url=f"{BASE}/credentials/{CREDENTIAL_ID}/",
            cert_id=CREDENTIAL_ID,
        )
        == f"https://www.linkedin.com/profile/add?{urlencode(params)}"
    )
