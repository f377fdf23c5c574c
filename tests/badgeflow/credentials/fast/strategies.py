"""Hypothesis strategies for the fast path: OB 3.0 credentials full of hostile strings."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from badgeflow.credentials import build_credential
from badgeflow.models import AchievementInfo, IssuerInfo

ISSUER_DID = "did:web:badges.example.edu"
BASE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

HOSTILE_VALUES = [
    "",
    'a "quoted" word',
    "back\\slash \\n \\u0041",
    "line\nbreak\r\nand\ttab",
    "bell\x07 nul\x00 esc\x1b del\x7f nel\x85 ls\u2028 ps\u2029 bs\b ff\f",
    "_:b0",
    "_:c14n0",
    "_:",
    "https://example.org/looks/like/an/iri",
    "urn:uuid:0f0e0d0c-0b0a-4908-8706-050403020100",
    "mailto:ada@example.org",
    "did:web:evil.example",
    "Note: a colon",
    ":leading colon",
    "a b:c",
    "urn:x\n",
    "@id",
    "@foo1",
    "name",
    "{0} {1} {{}} %s",
    "<https://example.org/> .",
    '"^^<http://www.w3.org/2001/XMLSchema#dateTime>',
    "é ü ß 中文 😀 \U0010fffd",
    "x" * 5000,
    "SdeadbeefN1E",
]
HOSTILE = st.sampled_from(HOSTILE_VALUES)
TEXT = st.one_of(
    HOSTILE, st.text(max_size=40), st.text(alphabet=st.characters(max_codepoint=0x9F), max_size=12)
)
EMAIL = st.one_of(
    st.emails(),
    st.builds(lambda text: f"x{text}@example.org", TEXT),
)
SCORE = st.one_of(st.none(), st.floats(0, 100, allow_nan=False), st.integers(0, 100))
TAGS = st.lists(st.one_of(st.sampled_from(["data", "sql", "data"]), TEXT), max_size=4)
WHEN = st.integers(0, 3650).map(lambda days: BASE + timedelta(days=days, seconds=days * 7))


@st.composite
def credentials(draw: st.DrawFn) -> dict:
    """An unsigned credential from `build_credential` with generated values."""
    slug = draw(st.sampled_from(["data-foundations", "sql", "x"]))
    achievement_id = draw(
        st.sampled_from(
            [
                f"https://badges.example.edu/achievements/{slug}",
                "urn:uuid:1b3f5c7d-0000-4000-8000-000000000001",
            ]
        )
    )
    issuer = IssuerInfo(
        id=ISSUER_DID,
        name=draw(TEXT),
        url="https://badges.example.edu",
        email=draw(st.one_of(st.none(), st.just("badges@example.edu"), TEXT)),
        description=draw(st.one_of(st.none(), TEXT)),
        image_url=draw(st.one_of(st.none(), st.just("https://badges.example.edu/logo.png"))),
    )
    achievement = AchievementInfo(
        id=achievement_id,
        slug=slug,
        name=draw(TEXT),
        description=draw(TEXT),
        criteria_narrative=draw(TEXT),
        criteria_url=f"{achievement_id}#criteria",
        image_url="https://badges.example.edu/img/badge.png",
        achievement_type=draw(st.sampled_from(["Badge", "Certification", "Course"])),
        tags=tuple(draw(TAGS)),
        valid_for_days=365,
    )
    valid_from = draw(WHEN)
    until_days = draw(st.one_of(st.none(), st.integers(1, 800)))
    return build_credential(
        credential_id=f"urn:uuid:{draw(st.uuids())}",
        issuer=issuer,
        achievement=achievement,
        recipient_email=draw(EMAIL),
        salt=draw(st.one_of(st.text(min_size=1, max_size=40), HOSTILE.filter(bool))),
        valid_from=valid_from,
        valid_until=None if until_days is None else valid_from + timedelta(days=until_days),
        awarded_at=draw(WHEN),
        score=draw(SCORE),
        evidence_narrative=draw(st.one_of(st.none(), TEXT)),
    )


def sample_credentials(count: int, seed: int = 0) -> list[dict]:
    """Deterministic credentials with hostile values (for tests that need a plain batch)."""
    rng = random.Random(seed)

    def text() -> str:
        return rng.choice(HOSTILE_VALUES)

    docs = []
    for index in range(count):
        achievement_id = f"https://badges.example.edu/achievements/a{index % 3}"
        docs.append(
            build_credential(
                credential_id=f"urn:uuid:00000000-0000-4000-8000-{index:012d}",
                issuer=IssuerInfo(
                    id=ISSUER_DID, name=text(), url="https://badges.example.edu", email=None
                ),
                achievement=AchievementInfo(
                    id=achievement_id,
                    slug=f"a{index % 3}",
                    name=text(),
                    description=text(),
                    criteria_narrative=text(),
                    criteria_url=f"{achievement_id}#criteria",
                    image_url="https://badges.example.edu/img/badge.png",
                    tags=tuple(text() for _ in range(index % 3)),
                    valid_for_days=365,
                ),
                recipient_email=f"learner{index}{text()}@example.org",
                salt=text() or "salt",
                valid_from=BASE,
                valid_until=BASE + timedelta(days=365) if index % 2 else None,
                awarded_at=BASE - timedelta(days=index),
                score=rng.choice([None, 87.5, 100, 0.1, 60.0]),
                evidence_narrative=text() if index % 4 else None,
            )
        )
    return docs
