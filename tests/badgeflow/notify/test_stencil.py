"""Stencilled award emails are the bytes of rendered ones (`badgeflow.notify.stencil`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from badgeflow.catalog_branding import Branding
from badgeflow.notify._qp import encode_text
from badgeflow.notify._stencil import PartStencil
from badgeflow.notify.compose import EmailDesign, clean_line
from badgeflow.notify.context import day
from badgeflow.notify.render import award_email_parts, award_links
from badgeflow.notify.stencil import award_stencil
from badgeflow.notify.wire import prepare
from badgeflow.site import layout
from tests.badgeflow.notify.test_render import BASE, make_achievement, make_issuer

LOGO = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x40\x00\x00\x00\x10\x08\x06\x00\x00\x00"
BADGE = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
DOMAIN = "badges.example.org"
FROM = "Example Academy <badges@academy.example.org>"
# Characters that move quoted-printable breaks or escapes: "=", dots, spaces and tabs at
# line ends, line breaks of every kind, non-ASCII (multi-byte in UTF-8), markup.
_HOSTILE = st.sampled_from(
    ["=", ".", " ", "\t", "\r", "\n", "\r\n", "\u2028", "\x85", "é", "名", "&", "<", '"', "'"]
)
_TEXT = st.lists(
    st.one_of(_HOSTILE, st.text(min_size=1, max_size=30), st.just("x" * 90)), max_size=8
).map("".join)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    literals=st.lists(_TEXT, min_size=1, max_size=6),
    values=st.lists(_TEXT, min_size=5, max_size=5),
    escaped=st.booleans(),
)
@example(literals=["a\n", "\n" + "b" * 80 + "\n"], values=["=" * 5, "", "", "", ""], escaped=False)
@example(literals=["Hi ", ",\nline\n"], values=["é" * 40, "", "", "", ""], escaped=True)
@example(literals=["a" * 70, "\n"], values=["b" * 8, "", "", "", ""], escaped=False)  # 78 wide
@example(literals=["", "\n" * 12], values=["名" * 30, "", "", "", ""], escaped=False)  # base64
def test_a_filled_part_encodes_like_the_whole_text(literals, values, escaped):
    markers = {f"s{n}": f"bf&MarkA{n}x" for n in range(len(literals) - 1)}
    shown = {
        name: marker.replace("&", "&amp;") if escaped else marker
        for name, marker in markers.items()
    }
    text = "".join(
        literal + (shown[f"s{n}"] if n < len(literals) - 1 else "")
        for n, literal in enumerate(literals)
    )
    stencil = PartStencil(text, markers, escaped=escaped)
    pasted = stencil.values({f"s{n}": values[n] for n in range(len(literals) - 1)})
    filled = stencil.fill(pasted)
    encoded = stencil.encode(pasted)
    assert encoded is None or encoded == encode_text(filled)


def test_the_award_email_lines_are_encoded_from_the_stencil():
    stencil = _stencil(named=True, expires=True, attached=True)
    assert stencil is not None
    parts = _parts(stencil, "Ada Lovelace", date(2027, 12, 3), BADGE)
    assert parts.encoded is not None and parts.encoded[1][0] == "quoted-printable"


def test_catalog_template_overrides_are_rendered_in_full():
    assert _stencil(design=replace(_design(), templates=object())) is None


_NAMES = st.one_of(
    st.none(),
    _TEXT,
    st.text(alphabet=st.characters(codec="utf-8"), max_size=120),
    st.sampled_from(["Ada Lovelace", "Zoë O'Brien-Ñúñez", "   ", "x=y..z", ".dot", "A" * 200]),
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=_NAMES,
    achievement_name=st.sampled_from(["Data Foundations", "Données & <Analyse> é", "Q" * 90]),
    message=st.sampled_from([None, "Well **done**, see [the guide](https://example.org/g=1)."]),
    expires=st.one_of(st.none(), st.dates(min_value=date(2000, 1, 1))),
    baked=st.sampled_from([None, b"\x89PNG\r\n\x1a\nbaked=.png"]),
    logo=st.booleans(),
    credential=st.uuids(),
    token=st.one_of(st.none(), st.sampled_from(["a" * 32, "0123456789abcdef" * 2])),
)
@example(
    name="Ada\r\nLovelace",
    achievement_name="Data Foundations",
    message=None,
    expires=None,
    baked=None,
    logo=True,
    credential=__import__("uuid").UUID(int=7),
    token=None,
)
def test_stencilled_award_emails_are_the_rendered_bytes(
    name, achievement_name, message, expires, baked, logo, credential, token
):
    design = _design(logo)
    achievement = replace(make_achievement(), name=achievement_name)
    issued = date(2025, 12, 3)
    links = award_links(
        BASE,
        str(credential),
        achievement=achievement,
        issuer=make_issuer(),
        issued=issued,
        expires=expires,
        accept_token=token,
    )
    shown = clean_line(name) if name else None
    stencil = _stencil(
        design=design,
        achievement=achievement,
        message=message,
        named=bool(shown),
        expires=expires is not None,
        attached=bool(baked),
    )
    assert stencil is not None
    fast = _parts(stencil, name, expires, baked, links=links, design=design, issued=issued)
    general = award_email_parts(
        to_address="ada@example.com",
        learner_name=name,
        achievement=achievement,
        issuer=make_issuer(),
        links=links,
        from_address=FROM,
        baked_png=baked,
        message_id_domain=DOMAIN,
        design=design,
        badge_png=BADGE,
        email_message=message,
        issued=issued,
        expires=expires,
    )
    assert (fast.text, fast.html, fast.images, fast.attachment) == (
        general.text,
        general.html,
        general.images,
        general.attachment,
    )
    assert prepare(fast) == prepare(general)
    assert fast.message().as_bytes() == general.message().as_bytes()


@pytest.mark.parametrize(
    "name",
    [None, "Ada Lovelace", "Zoë Ñúñez", "  ", "a=b", ".Ada", "Ada\r\nX", "名" * 40, "N" * 150],
)
@pytest.mark.parametrize("expires", [None, date(2027, 12, 3)])
def test_hostile_names_give_the_rendered_bytes(name, expires):
    test_stencilled_award_emails_are_the_rendered_bytes.hypothesis.inner_test(
        name=name,
        achievement_name="Données & <Analyse> é",
        message="Well **done**.",
        expires=expires,
        baked=b"png=.",
        logo=True,
        credential=__import__("uuid").UUID(int=11),
        token=None,
    )


def _design(logo: bool = True) -> EmailDesign:
    return EmailDesign(branding=Branding(), logo_png=LOGO if logo else None, templates=None)


def _stencil(
    *,
    design=None,
    achievement=None,
    message=None,
    named=True,
    expires=True,
    attached=True,
):
    return award_stencil(
        design or _design(),
        achievement=achievement or make_achievement(),
        issuer=make_issuer(),
        badge_png=BADGE,
        domain=DOMAIN,
        email_message=message,
        named=named,
        issued=True,
        expires=expires,
        attached=attached,
        channels=layout.SHARE_CHANNELS,
    )


def _parts(stencil, name, expires, baked, *, links=None, design=None, issued=date(2025, 12, 3)):
    from badgeflow.notify.context import message_headers
    from badgeflow.notify.render import _message_id

    links = links or award_links(
        BASE,
        "3f1c0e6a-7d0b-4b7e-9a51-0c2f6f1d2e11",
        achievement=make_achievement(),
        issuer=make_issuer(),
        issued=issued,
        expires=expires,
    )
    headers = message_headers(
        stencil.subject,
        from_address=FROM,
        design=design or _design(),
        to_address="ada@example.com",
        learner_name=name,
        message_id=_message_id(links.credential_page, DOMAIN),
    )
    shown = clean_line(name) if name else None
    parts = stencil.parts(
        headers=headers,
        learner_name=shown or None,
        links=links,
        issued=day(issued),
        expires=day(expires) if expires else None,
        baked_png=baked,
    )
    assert parts is not None
    return parts
