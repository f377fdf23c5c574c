"""CredentialBuilder: the same documents (and the same errors) as build_credential."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from badgeflow.catalog import load_catalog
from badgeflow.credentials import build_credential
from badgeflow.credentials.builder import CredentialBuilder, CredentialSpec
from badgeflow.status import status_entry

CATALOG = load_catalog(Path(__file__).resolve().parents[3] / "badge_catalog")
BASE = "https://badges.example.org"
SLUGS = ("data-foundations", "sql-essentials", "data-privacy-basics", "certified-data-practitioner")
ISSUER = CATALOG.issuer_info(issuer_did="did:web:badges.example.org", site_base_url=BASE)
ACHIEVEMENTS = {slug: CATALOG.achievement_info(slug, site_base_url=BASE) for slug in SLUGS}
START = datetime(2026, 1, 1, tzinfo=UTC)
BUILDER = CredentialBuilder(ISSUER)
"""One builder for every example: its cache sees every mix of achievement and score."""

_moments = st.integers(min_value=-(10**6), max_value=10**8).map(
    lambda s: START + timedelta(seconds=s)
)
_entries = st.lists(
    st.tuples(st.sampled_from(["revocation", "suspension"]), st.integers(0, 131_071)),
    max_size=2,
)


def _outcome(make, **kwargs):
    """The document as JSON text (key order included), or the error it raised."""
    try:
        return json.dumps(make(**kwargs), ensure_ascii=False)
    except Exception as exc:  # noqa: BLE001 (the error itself is compared)
        return (type(exc), str(exc))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    slug=st.sampled_from(SLUGS),
    number=st.integers(0, 10**9),
    email=st.sampled_from(["ada@example.org", " Bob.B@Example.ORG ", "zoë@exämple.org", ""]),
    salt=st.sampled_from(["00ff" * 8, "salt", ""]),
    valid_from=_moments,
    valid_for=st.one_of(st.none(), st.integers(-5, 10**8).map(lambda s: timedelta(seconds=s))),
    awarded_at=_moments,
    score=st.one_of(st.none(), st.floats(-5, 105, allow_nan=False), st.integers(0, 100)),
    narrative=st.one_of(st.none(), st.just(""), st.text(max_size=30)),
    entries=_entries,
    identity=st.sampled_from(["hashed_email", "email", "did"]),
    did=st.sampled_from([None, "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "x"]),
)
def test_the_builder_gives_build_credential_s_documents_and_errors(
    slug,
    number,
    email,
    salt,
    valid_from,
    valid_for,
    awarded_at,
    score,
    narrative,
    entries,
    identity,
    did,
):
    kwargs = {
        "credential_id": f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
        "achievement": ACHIEVEMENTS[slug],
        "recipient_email": email,
        "salt": salt,
        "valid_from": valid_from,
        "valid_until": None if valid_for is None else valid_from + valid_for,
        "awarded_at": awarded_at,
        "score": score,
        "evidence_narrative": narrative,
        "credential_status": [
            status_entry(list_url=f"{BASE}/status/{p}/1", index=i, purpose=p) for p, i in entries
        ],
        "recipient_identity": identity,
        "recipient_did": did,
    }
    expected = _outcome(build_credential, issuer=ISSUER, **kwargs)
    assert _outcome(BUILDER.build, **kwargs) == expected
    assert _outcome(CredentialBuilder(ISSUER).build, **kwargs) == expected  # a cold cache


def test_each_document_owns_its_copy_of_the_shared_parts():
    builder = CredentialBuilder(ISSUER)
    kwargs = {
        "achievement": ACHIEVEMENTS["sql-essentials"],
        "recipient_email": "ada@example.org",
        "salt": "salt",
        "valid_from": START,
        "valid_until": None,
        "awarded_at": START,
        "score": 90.0,
    }
    one = builder.build(credential_id="urn:uuid:00000000-0000-4000-8000-000000000001", **kwargs)
    expected = build_credential(
        credential_id="urn:uuid:00000000-0000-4000-8000-000000000002", issuer=ISSUER, **kwargs
    )
    one["issuer"]["name"] = "changed"
    one["credentialSubject"]["achievement"]["criteria"]["narrative"] = "changed"
    one["credentialSubject"]["achievement"]["type"].append("changed")
    two = builder.build(credential_id="urn:uuid:00000000-0000-4000-8000-000000000002", **kwargs)
    assert two == expected


def test_a_naive_datetime_is_refused_as_by_build_credential():
    with pytest.raises(ValueError, match="timezone-aware"):
        CredentialBuilder(ISSUER).build(
            credential_id="urn:uuid:00000000-0000-4000-8000-000000000001",
            achievement=ACHIEVEMENTS["sql-essentials"],
            recipient_email="ada@example.org",
            salt="salt",
            valid_from=datetime(2026, 1, 1),
            valid_until=None,
            awarded_at=START,
            score=None,
        )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    slug=st.sampled_from(SLUGS),
    number=st.integers(0, 10**9),
    email=st.sampled_from(["ada@example.org", " Bob.B@Example.ORG ", "zoë@exämple.org", ""]),
    valid_from=_moments,
    valid_for=st.one_of(st.none(), st.integers(-5, 10**8).map(lambda s: timedelta(seconds=s))),
    awarded_at=_moments,
    score=st.one_of(st.none(), st.floats(-5, 105, allow_nan=False), st.integers(0, 100)),
    entries=_entries,
    identity=st.sampled_from(["hashed_email", "email", "did"]),
    did=st.sampled_from([None, "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "x"]),
)
def test_a_spec_builds_the_document_and_error_of_the_same_arguments(
    slug, number, email, valid_from, valid_for, awarded_at, score, entries, identity, did
):
    kwargs = {
        "credential_id": f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
        "recipient_email": email,
        "salt": "00ff" * 8,
        "valid_from": valid_from,
        "valid_until": None if valid_for is None else valid_from + valid_for,
        "awarded_at": awarded_at,
        "score": score,
        "credential_status": tuple(
            status_entry(list_url=f"{BASE}/status/{p}/1", index=i, purpose=p) for p, i in entries
        ),
        "recipient_identity": identity,
        "recipient_did": did,
    }
    spec = CredentialSpec(achievement=slug, **kwargs)
    expected = _outcome(build_credential, issuer=ISSUER, achievement=ACHIEVEMENTS[slug], **kwargs)
    assert _outcome(lambda: BUILDER.build_spec(spec, ACHIEVEMENTS)) == expected
