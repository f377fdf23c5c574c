"""The bytes writer gives what `assemble` and the email package flattening give, byte for byte."""

from __future__ import annotations

from email.generator import BytesGenerator
from email.headerregistry import Address
from email.utils import formatdate, getaddresses
from io import BytesIO

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from badgeflow.catalog_branding import Branding
from badgeflow.notify.compose import EmailDesign, MessageParts, clean_line, inline_image, mailbox
from badgeflow.notify.context import message_headers
from badgeflow.notify.render import award_email_parts
from badgeflow.notify.wire import date_line, prepare
from tests.badgeflow.notify.test_render import (
    PNG,
    make_achievement,
    make_issuer,
    make_links,
)

BADGE = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x20\x08\x06\x00\x00\x00"
LOGO = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x00\x40\x08\x06\x00\x00\x00"
DATE = "Mon, 30 Nov 2026 09:45:23 GMT"

# Characters that change how a header or a body is written: specials, quotes, RFC 2047
# markers, non-ASCII (Latin, CJK, emoji), controls, Unicode line separators, dots, tabs.
HOSTILE = st.sampled_from(
    list("aZ09 .,;:@<>()[]\"'\\=?_-~!#$%&*+/^`{|}\t")
    + ["=?utf-8?q?x?=", "é", "ß", "Ø", "李", "😀", "\u202e", "\x00", "\r", "\n", "\x0b", "\x85"]
    + ["\u2028", "\u00a0", "  ", "a" * 40, "Ω" * 30, "\r\n.", "\n.", "\nFrom "]
)
hostile_text = st.lists(HOSTILE, max_size=40).map("".join)
body_text = st.lists(
    st.one_of(HOSTILE, st.sampled_from(["\n", '<p style="x">', "https://x.org/" + "q" * 90])),
    max_size=120,
).map("".join)
addresses = st.one_of(
    st.sampled_from(
        [
            "ada@example.com",
            "first.last+tag@mail.example.co.uk",
            "a_b-c@x-y.org",
            '"odd local"@example.com',
            "ada@exämple.com",
            "x" * 70 + "@example.com",
            "o'brien@example.com",
        ]
    ),
    st.from_regex(r"[a-z0-9]{1,12}(\.[a-z0-9]{1,8})?@[a-z]{1,10}\.(org|com)", fullmatch=True),
)
domains = st.sampled_from(["badges.example.org", "localhost", "x" * 60 + ".example.org"])
filenames = st.sampled_from(
    ["data-foundations.png", "a.png", "très-long-" + "nom" * 30 + ".png", 'we"ird name.png']
)


@st.composite
def email_parts(draw) -> MessageParts:
    domain = draw(domains)
    design = EmailDesign(
        branding=Branding(
            sender_name=draw(st.sampled_from([None, "Badgeflow Academy", "Ünïversité, Inc."])),
            reply_to=draw(st.sampled_from([None, "support@example.org"])),
        )
    )
    headers = message_headers(
        f"You earned the {clean_line(draw(hostile_text))} badge",
        from_address=draw(st.sampled_from(["Academy <badges@example.org>", "b@example.org"])),
        design=design,
        to_address=draw(addresses),
        learner_name=draw(st.one_of(st.none(), hostile_text)),
        message_id=f"<award.{draw(st.uuids())}@{domain}>",
    )
    images = draw(
        st.sampled_from(
            [
                (),
                (
                    inline_image(
                        "badge", BADGE, domain=domain, alt="b", height=120, filename="b.png"
                    ),
                ),
                (
                    inline_image("logo", LOGO, domain=domain, alt="l", height=40, filename="l.png"),
                    inline_image(
                        "badge", BADGE, domain=domain, alt="b", height=120, filename="b.png"
                    ),
                ),
            ]
        )
    )
    attachment = draw(st.one_of(st.none(), st.tuples(filenames, st.binary(max_size=300))))
    return MessageParts(headers, draw(body_text), draw(body_text), images, attachment)


def flattened_for_smtp(parts: MessageParts) -> tuple[bytes, object]:
    # What SmtpSession.send hands smtplib: the message with Date, flattened as send_message does.
    message = parts.message()
    message["Date"] = DATE
    out = BytesIO()
    BytesGenerator(out).flatten(message, linesep="\r\n")
    return out.getvalue(), message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(email_parts())
@example(
    MessageParts(
        {"Subject": "Hi", "From": Address("A", addr_spec="a@x.org"), "Message-ID": "<a@x>"},
        "",
        "",
        (),
        None,
    )
)
def test_prepared_bytes_are_the_email_packages_bytes(parts):
    prepared = prepare(parts)
    message = parts.message()
    envelope = [str(message["From"]), str(message["To"] or "")]
    if prepared is None:
        # Only a non-ASCII envelope address (SMTPUTF8) is left to the general path.
        assert not "".join(a for _, a in getaddresses(envelope)).isascii()
        return
    assert prepared.as_bytes() == message.as_bytes()
    wire, sent = flattened_for_smtp(parts)
    assert prepared.wire(date_line(DATE)) == wire
    assert prepared.message_id == str(sent["Message-ID"])
    assert prepared.subject == (str(sent["Subject"]) if "Subject" in sent else None)
    assert prepared.sender == getaddresses([str(sent["From"])])[0][1]
    assert list(prepared.recipients) == [a for _, a in getaddresses([str(sent["To"] or "")])]


def test_a_real_award_email_takes_the_fast_path_with_the_same_bytes():
    parts = award_email_parts(
        to_address="ada@example.com",
        learner_name="Ada Lovelace",
        achievement=make_achievement(),
        issuer=make_issuer(),
        links=make_links(),
        from_address="Example Academy <badges@academy.example.org>",
        baked_png=PNG,
        message_id_domain="badges.example.org",
        design=EmailDesign(logo_png=LOGO),
        badge_png=BADGE,
        email_message="Well *done*.",
    )
    prepared = prepare(parts)
    assert prepared is not None
    assert prepared.as_bytes() == parts.message().as_bytes()
    assert prepared.as_bytes().count(b"Content-Type: image/png") == 3


@pytest.mark.parametrize("extra", [{"Cc": "x@example.org"}, {"Message-ID": None}])
def test_headers_it_does_not_write_go_to_the_general_path(extra):
    headers = {"Subject": "Hi", "From": "a@example.org", "Message-ID": "<m@x.org>"} | extra
    assert prepare(MessageParts(headers, "t", "<p>h</p>", (), None)) is None


def test_the_date_line_is_what_setting_the_header_writes():
    parts = MessageParts({"Message-ID": "<m@x.org>", "To": "a@x.org"}, "t", "h", (), None)
    message = parts.message()
    message["Date"] = formatdate(0, usegmt=True)
    prepared = prepare(parts)
    assert prepared is not None
    assert prepared.as_bytes(date_line(formatdate(0, usegmt=True))) == message.as_bytes()


@given(
    st.from_regex(
        r"[A-Za-z0-9_+-]{1,9}(\.[A-Za-z0-9_+-]{1,5}){0,2}@[a-z0-9-]{1,9}(\.[a-z]{2,4})?",
        fullmatch=True,
    ),
    hostile_text.map(clean_line),
)
def test_a_plain_mailbox_is_the_parsed_address(addr, name):
    parsed = Address(display_name=name, addr_spec=addr)
    made = mailbox(name, addr)
    assert made == parsed and str(made) == str(parsed) and made.addr_spec == parsed.addr_spec
