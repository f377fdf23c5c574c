"""Stencilled pages are the bytes a full template render gives, whatever the values hold."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from badgeflow.credentials.ob3.credential import Evidence
from badgeflow.models import AchievementInfo, IssuerInfo
from badgeflow.site._credential_pages import plan_credentials, render_credential
from badgeflow.site._learner_pages import write_learner_pages
from badgeflow.site._stencils import Identity, Stencil, StencilCache, substitute
from badgeflow.site._writer import SiteFileWriter
from badgeflow.site.build import SiteAchievement, SiteCredential
from tests.badgeflow.site.factories import GENERATED_AT

BASE_URL = "https://badges.example.org/sub"
TRICKY = st.lists(
    st.sampled_from(
        list("ab Z&<>\"'%+=?#/\\\u202e\u00e9@-._:;") + ["&amp;", "bf&Mark", "bfMarkA0x"]
    ),
    max_size=12,
).map("".join)
IDS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)


class RecordingTree:
    root = Path("/nonexistent")
    staged = True

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, relative: str, data: bytes) -> None:
        self.files[relative] = data


def write_all(stencils, issuer, achievements, credentials, states, files, made=None) -> dict:
    tree = RecordingTree()
    writer = SiteFileWriter(tree, stencils=stencils)  # type: ignore[arg-type]
    common = {
        "issuer": issuer,
        "did_document_url": f"{BASE_URL}/did.json",
        "base_url": BASE_URL,
        "index_credentials": False,
    }
    for n, credential in enumerate(credentials):
        achievement = achievements[n % len(achievements)]
        write_learner_pages(
            writer, common, credential, achievement, files[n % len(files)], states[n % len(states)]
        )
    if made is not None and writer._stencils is not None:
        made.extend(writer._stencils._stencils.values())
    return tree.files


def achievement(name: str, description: str, slug: str) -> AchievementInfo:
    return AchievementInfo(
        id=f"{BASE_URL}/achievements/{slug}/",
        slug=slug,
        name=name,
        description=description,
        criteria_narrative="Do it.",
        criteria_url=f"{BASE_URL}/achievements/{slug}/#criteria",
        image_url=f"{BASE_URL}/achievements/{slug}.png",
    )


@st.composite
def credentials(draw):
    count = draw(st.integers(1, 6))
    ids = draw(st.lists(IDS, min_size=count, max_size=count, unique=True))
    start = datetime(2025, 12, 30, 23, 0, tzinfo=UTC)
    items = []
    for cid in ids:
        awarded = start + timedelta(hours=draw(st.integers(0, 24 * 70)))
        days = draw(st.one_of(st.none(), st.integers(-5, 800)))
        items.append(
            SiteCredential(
                credential_id=cid,
                document="{}",
                achievement_slug="a",
                awarded_at=awarded,
                valid_until=None if days is None else awarded + timedelta(days=days),
                learner_name=draw(st.one_of(st.none(), TRICKY)),
                accept_token=draw(st.one_of(st.none(), IDS)),
            )
        )
    return items


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    issuer_name=TRICKY.filter(str.strip),
    names=st.lists(st.tuples(TRICKY, TRICKY), min_size=1, max_size=3),
    items=credentials(),
    states=st.lists(st.sampled_from(["valid", "expired", "revoked", "suspended"]), min_size=1),
    files=st.lists(
        st.fixed_dictionaries({"json": st.booleans(), "png": st.booleans(), "svg": st.booleans()}),
        min_size=1,
    ),
)
def test_learner_pages_from_stencils_equal_full_renders(issuer_name, names, items, states, files):
    issuer = IssuerInfo(id="did:web:badges.example.org", name=issuer_name, url="https://x.org")
    achievements = [achievement(n, d, f"slug-{i}") for i, (n, d) in enumerate(names)]
    fast = write_all(True, issuer, achievements, items, states, files)
    slow = write_all(False, issuer, achievements, items, states, files)
    assert fast == slow
    assert len(fast) >= 6 * len(items)


def test_a_stencil_splits_at_escaped_markers_and_escapes_values():
    stencil = Stencil(
        "<p>bf&amp;MarkA0x and bfMarkA1x, bf&amp;MarkA0x</p>", {"t": "bf&MarkA0x", "i": "bfMarkA1x"}
    )
    assert stencil.slots == ["t", "i", "t"]
    assert (
        stencil.fill({"t": "<b>&", "i": "id-1"}) == "<p>&lt;b&gt;&amp; and id-1, &lt;b&gt;&amp;</p>"
    )


def test_a_template_that_transforms_a_value_is_rendered_in_full():
    calls = []

    def render(template: str, context: dict) -> str:
        calls.append(template)
        return f"<p>{context['name'].lower()}</p>"  # not a plain substitution

    cache = StencilCache(render)
    page = cache.render("k", "t", {"name": "Ada"}, lambda v: {"name": v["name"]})
    assert page == "<p>ada</p>"
    assert cache.render("k", "t", {"name": "Bo"}, lambda v: {"name": v["name"]}) == "<p>bo</p>"
    assert len(calls) == 4  # two to try the stencil, then each page in full


def test_a_value_used_unescaped_is_not_stencilled():
    cache = StencilCache(lambda template, context: f"<p>{context['name']}</p>")
    assert cache.render("k", "t", {"name": "<i>"}, lambda v: {"name": v["name"]}) == "<p><i></p>"


def test_substitute_refuses_a_function_that_does_more_than_copy_the_id():
    assert substitute(lambda cid: f"x/{cid}/y")("abc") == "x/abc/y"  # type: ignore[misc]
    assert substitute(lambda cid: f"x/{cid.upper()}") is None
    assert substitute(lambda cid: f"x/{len(cid)}") is None


def test_identity_keys_by_object_not_value():
    a, b = {"x": 1}, {"x": 1}
    assert Identity(a) == Identity(a)
    assert Identity(a) != Identity(b)
    assert {Identity(a): 1}.get(Identity(a)) == 1


def test_stencils_hold_across_a_build_with_many_credentials(tmp_path):
    issuer = IssuerInfo(id="did:web:badges.example.org", name="A & B", url="https://x.org")
    ach = [achievement("Data <Foundations>", 'Tables & "joins"', "data")]
    start = datetime(2026, 1, 31, 22, 0, tzinfo=UTC)
    items = [
        dataclasses.replace(
            SiteCredential(f"c-{n}", "{}", "data", start + timedelta(hours=7 * n)),
            learner_name=["Ada", None, " ", "a@b.c", "O'Neil & <Co>"][n % 5],
            accept_token=f"t{n}" if n % 3 else None,
            valid_until=start + timedelta(days=n) if n % 2 else None,
        )
        for n in range(40)
    ]
    states = ["valid", "expired", "revoked"]
    files = [{"json": True, "png": True, "svg": False}, {"json": False, "png": False, "svg": False}]
    made: list = []
    fast = write_all(True, issuer, ach, items, states, files, made)
    assert fast == write_all(False, issuer, ach, items, states, files)
    assert len(fast) == 40 * 6 + 2 * 26
    # Every page came from a stencil (share, 5 redirects, accept and accepted variants).
    assert 6 < len(made) < 40 and None not in made


def document(cid: str, draw) -> str:
    identity = {"type": "IdentityObject", "identityType": "emailAddress"}
    kind = draw(st.sampled_from(["hashed", "nosalt", "plain", "none", "other"]))
    if kind in ("hashed", "nosalt"):
        identity.update(hashed=True, identityHash=f"sha256${draw(TRICKY)}")
        if kind == "hashed":
            identity["salt"] = draw(TRICKY)
    elif kind == "plain":
        identity.update(hashed=False, identityHash="a@b.org")
    elif kind == "other":
        identity = {"type": "IdentityObject", "identityType": "studentId", "identityHash": "x"}
    body: dict = {"credentialSubject": {"identifier": [identity] if kind != "none" else []}}
    if draw(st.booleans()):
        body["id"] = draw(st.one_of(st.just(f"urn:uuid:{cid}"), TRICKY))
    if draw(st.booleans()):
        body["proof"] = {"verificationMethod": draw(TRICKY)}
    if draw(st.integers(0, 4)) == 0:
        body["evidence"] = {"name": draw(TRICKY), "id": "https://e.org/1"}
    return json.dumps(body)


@st.composite
def site_credentials(draw):
    items = draw(credentials())
    return [
        dataclasses.replace(
            c,
            document=document(c.credential_id, draw),
            status=draw(st.sampled_from(["active", "revoked", "suspended"])),
            baked_png=draw(st.sampled_from([None, b"png"])),
            baked_svg=draw(st.sampled_from([None, "<svg/>"])),
            jwt=draw(st.sampled_from([None, "eyJhbGciOiJFZERTQSJ9.e30.c2ln"])),
        )
        for c in items
    ]


def render_all(stencils, issuer, achievements, items, index, made=None) -> dict:
    tree = RecordingTree()
    writer = SiteFileWriter(tree, stencils=stencils)  # type: ignore[arg-type]
    common = {
        "issuer": issuer,
        "did_document_url": f"{BASE_URL}/did.json",
        "base_url": BASE_URL,
        "index_credentials": index,
    }
    for n, job in enumerate(plan_credentials(items, achievements, GENERATED_AT, "site")):
        item = achievements[job.credential.achievement_slug]
        render_credential(writer, job, item, common)
        assert n < len(items)
    if made is not None and writer._stencils is not None:
        made.extend(writer._stencils._stencils.values())
    return tree.files


def site_achievements(names) -> dict:
    return {
        "a": SiteAchievement(
            dataclasses.replace(
                achievement(*names[0], "a"),
                evidence=(Evidence(name=names[-1][0] or None, id="https://e.org/2"),),
            ),
            Path("a.png"),
        )
    }


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    issuer_id=st.sampled_from(["did:web:badges.example.org", "did:key:z6Mk"]),
    issuer_name=TRICKY.filter(str.strip),
    names=st.lists(st.tuples(TRICKY, TRICKY), min_size=1, max_size=2),
    items=site_credentials(),
    index=st.booleans(),
)
def test_credential_pages_from_stencils_equal_full_renders(
    issuer_id, issuer_name, names, items, index
):
    issuer = IssuerInfo(id=issuer_id, name=issuer_name, url="https://x.org")
    achievements = site_achievements(names)
    fast = render_all(True, issuer, achievements, items, index)
    assert fast == render_all(False, issuer, achievements, items, index)


def test_credential_pages_from_stencils_over_a_varied_batch():
    issuer = IssuerInfo(id="did:web:badges.example.org", name="A & B", url="https://x.org")
    achievements = site_achievements([("Data <F>", 'Tables & "joins"')])
    start = datetime(2026, 2, 27, 22, 0, tzinfo=UTC)
    statuses = ["active", "active", "revoked", "suspended"]
    items = [
        SiteCredential(
            credential_id=f"c-{n}",
            document=json.dumps(
                {
                    "id": f"urn:uuid:c-{n}" if n % 4 else "",
                    "credentialSubject": {
                        "identifier": {
                            "identityType": "emailAddress",
                            "hashed": n % 5 != 0,
                            "identityHash": f"sha256$<{n}>",
                            "salt": ["s&", "", "x"][n % 3],
                        }
                    },
                    "proof": [{"verificationMethod": f"did:web:x#k{n % 2}"}],
                }
            ),
            achievement_slug="a",
            awarded_at=start + timedelta(hours=9 * n),
            valid_until=start + timedelta(days=n - 3) if n % 2 else None,
            learner_name=["Ada", None, "O'Neil & <Co>"][n % 3],
            status=statuses[n % 4],  # type: ignore[arg-type]
            baked_png=b"png" if n % 3 else None,
            jwt="eyJhbGciOiJFZERTQSJ9.e30.c2ln" if n % 7 == 0 else None,
        )
        for n in range(40)
    ]
    made: list = []
    fast = render_all(True, issuer, achievements, items, False, made)
    assert fast == render_all(False, issuer, achievements, items, False)
    assert b"O&#39;Neil &amp; &lt;Co&gt;" in fast["credentials/c-2/index.html"]
    assert None not in made


def reference_page(writer, job, item, common) -> None:
    """The credential page as it was rendered before stencils: the real credential object."""
    from badgeflow.site._documents import read_credential
    from badgeflow.site._learner_pages import evidence_views, public_name
    from badgeflow.site.layout import credential_page, join_url

    c = job.credential
    parsed = read_credential(c.document, c.credential_id)
    withheld = parsed.plaintext_email
    writer.page(
        f"{credential_page(c.credential_id)}index.html",
        "site/credential.html",
        common,
        credential=c,
        achievement=item.info,
        state=job.state,
        recipient=parsed.recipient,
        document_id=parsed.document_id,
        verification_method=parsed.verification_method,
        has_png=c.baked_png is not None and not withheld,
        has_svg=c.baked_svg is not None and not withheld,
        withheld=withheld,
        has_jwt=c.jwt is not None,
        display_name=public_name(c.learner_name),
        evidence=evidence_views(parsed.evidence, item.info.evidence),
        page_url=join_url(common["base_url"], credential_page(c.credential_id)),
        noindex=not common["index_credentials"],
    )


def test_credential_pages_equal_the_pages_rendered_from_the_credential_itself():
    issuer = IssuerInfo(id="did:web:badges.example.org", name="A & B", url="https://x.org")
    achievements = site_achievements([("Data <F>", 'Tables & "joins"')])
    start = datetime(2026, 2, 27, 22, 0, tzinfo=UTC)
    items = [
        SiteCredential(
            credential_id=f"c-{n}",
            document=json.dumps(
                {
                    "id": f"urn:uuid:c-{n}",
                    "credentialSubject": {
                        "identifier": {
                            "identityType": "emailAddress",
                            "hashed": True,
                            "identityHash": f"sha256$<{n}>",
                            "salt": "s&",
                        }
                    },
                    "proof": [{"verificationMethod": "did:web:x#k"}],
                }
            ),
            achievement_slug="a",
            awarded_at=start + timedelta(hours=9 * n, minutes=n),
            valid_until=start + timedelta(days=n - 3) if n % 2 else None,
            learner_name=["Ada", None, "O'Neil & <Co>"][n % 3],
            status=["active", "revoked"][n % 2],  # type: ignore[arg-type]
            baked_png=b"png",
        )
        for n in range(12)
    ]
    common = {
        "issuer": issuer,
        "did_document_url": f"{BASE_URL}/did.json",
        "base_url": BASE_URL,
        "index_credentials": False,
    }
    fast = render_all(True, issuer, achievements, items, False)
    tree = RecordingTree()
    writer = SiteFileWriter(tree)  # type: ignore[arg-type]
    for job in plan_credentials(items, achievements, GENERATED_AT, "site"):
        reference_page(writer, job, achievements["a"], common)
    assert tree.files
    for path, data in tree.files.items():
        assert fast[path] == data


def test_credential_pages_sharing_their_evidence_come_from_one_stencil():
    issuer = IssuerInfo(id="did:web:badges.example.org", name="A & B", url="https://x.org")
    achievements = site_achievements([("Data <F>", 'Tables & "joins"')])
    start = datetime(2026, 2, 27, 22, 0, tzinfo=UTC)
    shared = [{"name": "Final <test> & co", "narrative": "**Marked** by `x`", "genre": "A"}]
    other = {"name": "Project", "id": "https://e.org/p"}
    items = [
        SiteCredential(
            credential_id=f"ev-{n}",
            document=json.dumps(
                {
                    "id": f"urn:uuid:ev-{n}",
                    "evidence": [shared, [{"name": f"Own {n} <i>"}], shared, other][n % 4],
                    "proof": [{"verificationMethod": "did:web:x#k"}],
                }
            ),
            achievement_slug="a",
            awarded_at=start + timedelta(days=n),
            learner_name=["Ada", None, "O'Neil & <Co>"][n % 3],
        )
        for n in range(24)
    ]
    made: list = []
    fast = render_all(True, issuer, achievements, items, False, made)
    assert fast == render_all(False, issuer, achievements, items, False)
    pages = [p for p in fast if p.startswith("credentials/ev-") and p.count("/") == 2]
    assert len(pages) == 24
    assert any(s is not None and any("Final" in lit for lit in s.literals) for s in made)
