from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badgeflow.errors import CredentialError
from badgeflow.site._learner_pages import _share_target, _targets
from badgeflow.site.layout import SHARE_CHANNELS, credential_page, join_url
from badgeflow.site.share import (
    CHANNEL_LABELS,
    ShareSubject,
    email_url,
    facebook_url,
    linkedin_post_url,
    share_target,
    share_target_dates,
    x_url,
)

PAGE = "https://badges.example.org/credentials/00000000-0000-4000-8000-000000000000/"
SUBJECT = ShareSubject(
    credential_id="00000000-0000-4000-8000-000000000000",
    page_url=PAGE,
    achievement_name='Data & "SQL" <b>',
    issuer_name="Exämple Academy",
    issued=date(2026, 1, 15),
    expires=date(2027, 12, 31),
)


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, strict_parsing=True)


def test_every_channel_has_a_label_and_a_target():
    assert tuple(CHANNEL_LABELS) == SHARE_CHANNELS
    for channel in SHARE_CHANNELS:
        assert urlsplit(share_target(channel, SUBJECT)).scheme in ("https", "mailto")


def test_linkedin_profile_uses_one_based_months_and_the_public_page():
    url = share_target("linkedin-profile", SUBJECT)
    assert url.startswith("https://www.linkedin.com/profile/add?")
    params = query(url)
    assert params["name"] == ['Data & "SQL" <b>']
    assert params["organizationName"] == ["Exämple Academy"]
    assert (params["issueYear"], params["issueMonth"]) == (["2026"], ["1"])
    assert (params["expirationYear"], params["expirationMonth"]) == (["2027"], ["12"])
    assert params["certUrl"] == [PAGE]
    assert params["certId"] == [SUBJECT.credential_id]


def test_post_urls_carry_the_public_page():
    assert query(linkedin_post_url(PAGE)) == {"url": [PAGE]}
    assert linkedin_post_url(PAGE).startswith("https://www.linkedin.com/sharing/share-offsite/?")
    assert query(facebook_url(PAGE)) == {"u": [PAGE]}
    assert query(x_url(PAGE, "I did it & more")) == {"text": ["I did it & more"], "url": [PAGE]}
    assert query(share_target("x", SUBJECT))["text"] == [
        'I earned the Data & "SQL" <b> badge from Exämple Academy.'
    ]


def test_email_url_encodes_spaces_as_percent_20_and_has_no_recipient():
    url = email_url("My badge & more", "Line one\nhttps://x.example/?a=1&b=2")
    assert url.startswith("mailto:?subject=")
    assert "+" not in url and " " not in url and "\n" not in url
    params = query(url.removeprefix("mailto:"))
    assert params == {
        "subject": ["My badge & more"],
        "body": ["Line one\nhttps://x.example/?a=1&b=2"],
    }
    body = query(share_target("email", SUBJECT).removeprefix("mailto:"))["body"][0]
    assert body.endswith(PAGE)


def test_unknown_channel_is_refused():
    with pytest.raises(CredentialError, match="unknown share channel"):
        share_target("myspace", SUBJECT)


NAMES = st.sampled_from(["A & B", "Exämple <i>'%+=?#/\\@;\n", ""])


@settings(max_examples=150, deadline=None)
@given(
    shares=st.lists(
        st.tuples(
            st.sampled_from(SHARE_CHANNELS),
            st.uuids().map(str),
            st.sampled_from(["https://b.example.org", "https://b.example.org/sub/"]),
            st.sampled_from(["Data & SQL", "Ünïcode <b>"]),
            NAMES,
            st.dates(date(2025, 11, 1), date(2026, 3, 31)),
            st.one_of(st.none(), st.dates(date(2026, 1, 1), date(2026, 3, 31))),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_cached_share_targets_equal_share_target(shares):
    _targets.clear()  # the cache persists across examples otherwise: start each one cold
    for channel, cid, base_url, achievement, issuer, issued, expires in shares:

        def subject(
            credential_id: str,
            base_url=base_url,
            achievement=achievement,
            issuer=issuer,
            issued=issued,
            expires=expires,
        ) -> ShareSubject:
            return ShareSubject(
                credential_id=credential_id,
                page_url=join_url(base_url, credential_page(credential_id)),
                achievement_name=achievement,
                issuer_name=issuer,
                issued=issued,
                expires=expires,
            )

        key = (base_url, achievement, issuer, share_target_dates(channel, issued, expires))
        cached = _share_target(channel, subject, key)(cid)
        assert cached == share_target(channel, subject(cid))
