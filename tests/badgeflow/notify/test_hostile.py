"""Hostile learner names and titles come out escaped or neutralised in every email kind."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from email import message_from_bytes, policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badgeflow.notify.compose import clean_line
from tests.badgeflow.notify.test_design import branded, reissued, revoked, tags
from tests.badgeflow.notify.test_render import make_achievement

SCRIPT = '<script>alert("x")</script>'
CRLF = "Eve\r\nBcc: victim@example.net\r\nX-Evil: 1"
QUOTES = 'O\'Brien "the <b>bold</b>" & co'
RTL_OVERRIDE = "Ada \u202egnp.exe\u202c Lovelace"
ARABIC = "مريم الحسيني"
HOSTILE_NAMES = [
    SCRIPT,
    CRLF,
    QUOTES,
    RTL_OVERRIDE,
    ARABIC,
    "Nul\x00Byte\x1b[31m",
    "Tab\tLine\u2028Sep",
]
HOSTILE_TITLE = 'Data <img src=x onerror=alert(1)> "Foundations"\r\nBcc: x@evil.example'
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "body", "div", "table", "tr", "td", "a", "img", "span",
    "h1", "h2", "p", "strong", "em", "ul", "ol", "li",
}  # fmt: skip
RENDER = {"award": branded, "reissued": reissued, "revoked": revoked}


def hostile_achievement():
    return replace(
        make_achievement(),
        name=HOSTILE_TITLE,
        description=f"Learn {SCRIPT} safely",
        criteria_narrative=f'Complete **DS101 "{SCRIPT}"** and [x](javascript:alert(1)).',
    )


def parsed(message):
    return message_from_bytes(message.as_bytes(), policy=policy.default)


def header_block(message) -> str:
    return message.as_bytes().split(b"\n\n", 1)[0].decode("ascii")


@pytest.mark.parametrize("kind", list(RENDER))
@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_learner_names(kind, name):
    message = RENDER[kind](learner_name=name, achievement=hostile_achievement())
    received = parsed(message)
    # Headers: one recipient, the real one; nothing injected; every header on its own line.
    (to,) = received["To"].addresses
    assert to.addr_spec == "ada@example.com"
    assert to.display_name == clean_line(name)
    assert "Bcc" not in received and "X-Evil" not in received
    for line in header_block(message).splitlines():
        assert not line.lower().startswith(("bcc:", "x-evil:"))
    assert "\n" not in received["Subject"] and "\r" not in received["Subject"]
    assert received["Subject"].count("Bcc") <= 1  # the title's text, flattened onto one line
    html = received.get_body(("html",)).get_content()
    text = received.get_body(("plain",)).get_content()
    # HTML: only our own tags and attributes; the hostile text is escaped.
    for tag, attrs in tags(html):
        assert tag in ALLOWED_TAGS, tag
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        assert not (attrs.get("href") or "").startswith("javascript:")
    assert (
        "<script" not in html
        and "<b>" not in html
        and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    )
    if name == SCRIPT and kind == "award":
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    # Text and HTML: no bidi override, no control characters from the input.
    for part in (html, text, str(received["To"]), received["Subject"]):
        assert "\u202e" not in part and "\x00" not in part and "\x1b" not in part
    assert text.splitlines()[0] == f"Hi {clean_line(name)},"  # the name stays on its line
    if name == ARABIC:
        assert ARABIC in html and ARABIC in text and to.display_name == ARABIC


def test_hostile_title_in_subject_and_alt_attribute():
    message = branded(achievement=hostile_achievement())
    received = parsed(message)
    assert received["Subject"] == (
        'You earned the Data <img src=x onerror=alert(1)> "Foundations" Bcc: x@evil.example badge'
    )
    html = received.get_body(("html",)).get_content()
    alts = [attrs["alt"] for tag, attrs in tags(html) if tag == "img"]
    assert 'Data <img src=x onerror=alert(1)> "Foundations" Bcc: x@evil.example badge' in alts
    assert "Data &lt;img src=x onerror=alert(1)&gt; &#34;Foundations&#34;" in html


def test_criteria_and_reason_cannot_inject_markup_or_script_links():
    html = branded(achievement=hostile_achievement()).get_body(("html",)).get_content()
    assert (
        "<strong>DS101 &#34;&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#34;</strong>" in html
    )
    assert "javascript:" not in [a.get("href", "")[:11] for t, a in tags(html) if t == "a"]
    message = revoked(reason=f"{SCRIPT}\r\nBcc: x@evil.example")
    html = message.get_body(("html",)).get_content()
    assert "&lt;script&gt;" in html and "<script" not in html
    assert "Bcc" not in message


def test_clean_line():
    assert clean_line(CRLF) == "Eve Bcc: victim@example.net X-Evil: 1"
    assert clean_line(RTL_OVERRIDE) == "Ada gnp.exe Lovelace"
    assert clean_line("  a\u2028b\u2029c\x85d  ") == "a b c d"
    assert clean_line(ARABIC) == ARABIC


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.text(alphabet=st.characters(max_codepoint=127), max_size=40),
        st.sampled_from(["  Ada   Lovelace ", "Ada\tX", "A\u202eB", "A\u2028B", "\x85x"]),
    )
)
def test_clean_line_is_the_same_for_plain_ascii(text):
    # What clean_line does to any text; plain printable ASCII takes a shorter way there.
    text_ = re.sub("[\u202a-\u202e\u2066-\u2069]", "", text)
    text_ = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text_)
    assert clean_line(text) == re.sub(r"\s+", " ", text_).strip()
