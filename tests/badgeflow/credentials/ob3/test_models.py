"""The typed OB 3.0 models: every property, arrays, omission of empty values, id checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from badgeflow.credentials.ob3 import (
    Achievement,
    AchievementSubject,
    Alignment,
    Criteria,
    EndorsementCredential,
    EndorsementSubject,
    Evidence,
    IdentityObject,
    Image,
    OpenBadgeCredential,
    Profile,
    Result,
    ResultDescription,
    RubricCriterionLevel,
    check_id,
    identity_hash,
)
from badgeflow.credentials.proof import canonicalize
from badgeflow.errors import CredentialError

A = "https://badges.example.org/achievements/sql"
WHEN = datetime(2026, 3, 1, 12, tzinfo=UTC)


def full_achievement() -> Achievement:
    levels = (
        RubricCriterionLevel(id=f"{A}#pass", name="Pass", level="Pass", points="1"),
        RubricCriterionLevel(id=f"{A}#merit", name="Merit", description="Above", points="2"),
    )
    return Achievement(
        id=A,
        name="SQL",
        description="Writes SQL.",
        criteria=Criteria(id=f"{A}#criteria", narrative="Pass **SQL110**."),
        achievement_type="Course",
        image=Image(id=f"{A}.png", caption="The badge"),
        tags=("sql", "data"),
        result_descriptions=(
            ResultDescription(
                id=f"{A}#score",
                name="Score",
                result_type="Percent",
                value_min="0",
                value_max="100",
                required_value="75",
            ),
            ResultDescription(
                id=f"{A}#level",
                name="Level",
                result_type="RubricCriterionLevel",
                allowed_values=("Pass", "Merit"),
                required_level=f"{A}#pass",
                rubric_criterion_levels=levels,
            ),
        ),
        alignments=(
            Alignment(
                target_name="Database Administrators",
                target_url="https://www.onetonline.org/link/summary/15-1242.00",
                target_description="Administer databases.",
                target_framework="O*NET-SOC 2019",
                target_code="15-1242.00",
                target_type="ext:Occupation",
            ),
        ),
        creator=Profile(id="did:web:badges.example.org", name="Academy"),
        version="2.1",
        in_language="en-GB",
        human_code="SQL110",
        field_of_study="Databases",
        credits_available=1.5,
    )


def full_credential() -> OpenBadgeCredential:
    return OpenBadgeCredential(
        id="urn:uuid:3f1c2a9e-6b7d-4c1e-9a0b-2d4e6f8a0c1e",
        name="SQL",
        description="An SQL badge.",
        issuer=Profile(
            id="did:web:badges.example.org",
            name="Academy",
            url="https://academy.example.org",
            email="badges@example.org",
            description="We teach.",
            image=Image(id="https://badges.example.org/logo.png"),
        ),
        valid_from=WHEN,
        valid_until=WHEN + timedelta(days=365),
        awarded_date=WHEN,
        credential_subject=AchievementSubject(
            achievement=full_achievement(),
            identifiers=(IdentityObject.hashed_email(" Ada@Example.org ", "salt"),),
            results=(
                Result(result_description=f"{A}#score", value="88"),
                Result(result_description=f"{A}#level", achieved_level=f"{A}#merit"),
                Result(status="Completed"),
            ),
            activity_start_date=WHEN - timedelta(days=30),
            activity_end_date=WHEN,
            credits_earned=1.5,
        ),
        evidence=(
            Evidence(
                id="https://badges.example.org/evidence/1",
                name="Final project",
                description="A project.",
                narrative="**Assessor:** an instructor",
                genre="Assessment",
                audience="Employers",
            ),
        ),
        credential_status=(
            {"id": "https://x.example/status/1#5", "type": "BitstringStatusListEntry"},
        ),
    )


def test_every_emitted_term_is_defined_by_the_pinned_contexts():
    # canonicalize raises UndefinedTermError for any term pyld would drop.
    nquads = canonicalize(full_credential().to_json())
    for term in (
        "targetFramework",
        "rubricCriterionLevel",
        "humanCode",
        "fieldOfStudy",
        "creditsAvailable",
        "activityStartDate",
        "achievedLevel",
        "genre",
        "audience",
        "keywords",
        "inLanguage",
        "creditsEarned",
        "allowedValue",
    ):
        assert term in nquads, term


def test_an_endorsement_credential_uses_only_defined_terms():
    endorsement = EndorsementCredential(
        id="urn:uuid:0b8f1c9e-1111-4222-8333-944455566677",
        name="Guild endorses SQL",
        issuer=Profile(id="did:key:z6MkfH9mYJy93Xa3oS5848vsdhKNTkWCzKzwiUdDjPPXwinj", name="G"),
        valid_from=WHEN,
        credential_subject=EndorsementSubject(id=A, endorsement_comment="Good."),
    )
    document = endorsement.to_json()
    assert document["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert document["credentialSubject"] == {
        "id": A,
        "type": ["EndorsementSubject"],
        "endorsementComment": "Good.",
    }
    assert "endorsementComment" in canonicalize(document)


def test_multi_valued_properties_are_arrays_and_single_ones_are_not():
    document = full_credential().to_json()
    achievement = document["credentialSubject"]["achievement"]
    for key in ("type", "tag", "resultDescription", "alignment"):
        assert isinstance(achievement[key], list), key
    assert isinstance(document["credentialSubject"]["identifier"], list)
    assert isinstance(document["credentialSubject"]["result"], list)
    assert isinstance(document["evidence"], list)
    assert isinstance(document["credentialSchema"], list)
    assert document["credentialStatus"]["type"] == "BitstringStatusListEntry"
    assert achievement["image"] == {"id": f"{A}.png", "type": "Image", "caption": "The badge"}
    assert achievement["creditsAvailable"] == 1.5
    assert achievement["resultDescription"][1]["allowedValue"] == ["Pass", "Merit"]
    assert document["credentialSubject"]["activityEndDate"] == "2026-03-01T12:00:00Z"


def test_empty_values_are_omitted():
    subject = AchievementSubject(
        achievement=Achievement(id=A, name="SQL", description="d", criteria=Criteria(id=A)),
        id="did:example:ada",
    )
    credential = OpenBadgeCredential(
        id="https://badges.example.org/c/1",
        issuer=Profile(id="did:web:x.example"),
        valid_from=WHEN,
        credential_subject=subject,
    )
    document = credential.to_json()
    assert "null" not in json.dumps(document)
    assert set(document) == {
        "@context",
        "id",
        "type",
        "issuer",
        "validFrom",
        "credentialSubject",
        "credentialSchema",
    }
    assert document["issuer"] == {"id": "did:web:x.example", "type": ["Profile"]}
    assert set(document["credentialSubject"]) == {"id", "type", "achievement"}
    assert Evidence(narrative="n").to_json() == {"type": ["Evidence"], "narrative": "n"}


def test_identity_objects():
    hashed = IdentityObject.hashed_email(" Ada@Example.org ", "salt").to_json()
    assert hashed == {
        "type": "IdentityObject",
        "identityHash": identity_hash("ada@example.org", "salt"),
        "identityType": "emailAddress",
        "hashed": True,
        "salt": "salt",
    }
    plain = IdentityObject.plain_email(" Ada@Example.org ").to_json()
    assert plain == {
        "type": "IdentityObject",
        "identityHash": "ada@example.org",
        "identityType": "emailAddress",
        "hashed": False,
    }
    with pytest.raises(CredentialError, match="must not be empty"):
        IdentityObject.hashed_email("a@b.org", "")
    with pytest.raises(CredentialError, match="sha256"):
        IdentityObject(identity_hash="ada@example.org")
    with pytest.raises(CredentialError, match="identityType"):
        IdentityObject(identity_hash="x", hashed=False, identity_type="phone")


@pytest.mark.parametrize(
    "value",
    [
        "https://badges.example.org/a",
        "urn:uuid:3f1c2a9e-6b7d-4c1e-9a0b-2d4e6f8a0c1e",
        "urn:uuid:3f1c2a9e-6b7d-4c1e-9a0b-2d4e6f8a0c1e#score",
        "did:web:badges.example.org",
        "did:key:z6MkfH9mYJy93Xa3oS5848vsdhKNTkWCzKzwiUdDjPPXwinj",
    ],
)
def test_absolute_ids_are_accepted(value):
    assert check_id(value, "id") == value


@pytest.mark.parametrize(
    "value",
    [
        "",
        "/achievements/sql",
        "achievements/sql",
        "https:///no-host",
        "urn:uuid:nope",
        "a b:c",
        "x:\n",
    ],
)
def test_relative_or_malformed_ids_are_refused(value):
    with pytest.raises(CredentialError):
        check_id(value, "id")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Image(id="logo.png"), "Image id"),
        (lambda: Profile(id="did:web:x.example", url="academy"), "Profile url"),
        (lambda: Criteria(), "id or a narrative"),
        (lambda: Alignment(target_name="x", target_url="esco/skill"), "targetUrl"),
        (lambda: Alignment(target_name="", target_url=A), "targetName"),
        (lambda: Alignment(target_name="x", target_url=A, target_type="Skill"), "targetType"),
        (lambda: ResultDescription(id=f"{A}#s", name="s", result_type="Score"), "resultType"),
        (lambda: Result(status="Passed"), "status"),
        (lambda: Result(result_description="score"), "result_description"),
        (lambda: Evidence(id="evidence/1"), "Evidence id"),
        (
            lambda: Achievement(
                id=A, name="n", description="d", criteria=Criteria(id=A), achievement_type="Thing"
            ),
            "achievementType",
        ),
        (
            lambda: Achievement(
                id=A, name="n", description="d", criteria=Criteria(id=A), in_language="English"
            ),
            "inLanguage",
        ),
        (
            lambda: AchievementSubject(achievement=full_achievement()),
            "needs an id or an identifier",
        ),
        (
            lambda: AchievementSubject(achievement=full_achievement(), id="mailto:a@b.org"),
            "mailto",
        ),
    ],
)
def test_invalid_values_are_refused(build, message):
    with pytest.raises(CredentialError, match=message):
        build()


def test_validity_period_is_checked():
    subject = AchievementSubject(achievement=full_achievement(), id="did:example:ada")
    issuer = Profile(id="did:web:x.example")
    with pytest.raises(CredentialError, match="after validFrom"):
        OpenBadgeCredential(
            id="urn:uuid:3f1c2a9e-6b7d-4c1e-9a0b-2d4e6f8a0c1e",
            issuer=issuer,
            credential_subject=subject,
            valid_from=WHEN,
            valid_until=WHEN,
        )
    with pytest.raises(ValueError, match="timezone"):
        OpenBadgeCredential(
            id="urn:uuid:3f1c2a9e-6b7d-4c1e-9a0b-2d4e6f8a0c1e",
            issuer=issuer,
            credential_subject=subject,
            valid_from=datetime(2026, 1, 1),
        )


def test_models_are_frozen():
    image = Image(id=f"{A}.png")
    with pytest.raises(AttributeError):
        image.id = "https://elsewhere.example/x.png"  # type: ignore[misc]
