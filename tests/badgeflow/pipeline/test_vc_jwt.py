"""Issuing VC-JWTs beside the embedded proofs (`issuance.formats`), and publishing them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from badgeflow import store
from badgeflow.credentials.jws import decode_compact
from badgeflow.credentials.vcjwt import credential_of
from badgeflow.credentials.verify_jwt import verify_vc_jwt
from badgeflow.demo import demo_dataset_path
from badgeflow.fakelms.moodle import FakeMoodle, MoodleDataset
from badgeflow.pipeline import (
    Runtime,
    evaluate_awards,
    ingest_source,
    issue_credentials,
    pending_award_ids,
    publish_site,
)
from badgeflow.settings import Settings
from tests.demo_env import initialise, settings_from, write_config

AS_OF = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
COUNT = 4


def issue_with_vc_jwt(root: Path, alg: str) -> Settings:
    """Issue a few demo credentials with ``formats = [data-integrity, vc-jwt]``, then publish."""
    with FakeMoodle(MoodleDataset.load(demo_dataset_path()), token="demo-token") as moodle:
        settings = settings_from(write_config(root, moodle.base_url))
        issuance = settings.issuance.model_copy(
            update={"formats": ["data-integrity", "vc-jwt"], "jwt_alg": alg}
        )
        settings = settings.model_copy(update={"issuance": issuance})
        initialise(settings)
        runtime = Runtime(settings)
        with runtime.sessions.begin() as session:
            store.start_batch(session, batch_id="b1", as_of=AS_OF, started_at=AS_OF)
        for source in settings.sources:
            ingest_source(runtime, source.name, batch_id="b1", as_of=AS_OF, full_resync=False)
        evaluate_awards(runtime, batch_id="b1", as_of=AS_OF)
        awards = pending_award_ids(runtime)[:COUNT]
        issue_credentials(runtime, awards, batch_id="b1", issued_at=AS_OF)
        publish_site(runtime, generated_at=AS_OF)
        runtime.engine.dispose()
    return settings


@pytest.mark.parametrize(("alg", "key_id"), [("RS256", "rsa-1"), ("ES256", "p256-1")])
def test_each_credential_is_published_as_a_verifiable_vc_jwt(tmp_path, alg, key_id):
    settings = issue_with_vc_jwt(tmp_path, alg)
    site = settings.site.output_dir
    did = json.loads((site / ".well-known" / "did.json").read_text())
    assert f"{did['id']}#{key_id}" in did["assertionMethod"]
    tokens = sorted((site / "credentials").glob("*.jwt"))
    assert len(tokens) == COUNT
    for path in tokens:
        token = path.read_text()
        header = decode_compact(token).header
        assert header == {"alg": alg, "typ": "JWT", "kid": f"{did['id']}#{key_id}"}
        credential, legacy = credential_of(decode_compact(token).payload)
        assert not legacy
        # The same credential, embedded proof included, byte for byte as JSON.
        assert credential == json.loads(path.with_suffix(".json").read_text())
        result = verify_vc_jwt(token, did_documents={did["id"]: did}, now=AS_OF)
        assert result.verified, result.errors
        page = (site / "credentials" / path.stem / "index.html").read_text()
        assert f"credentials/{path.stem}.jwt" in page


def test_without_vc_jwt_nothing_changes(tmp_path):
    with FakeMoodle(MoodleDataset.load(demo_dataset_path()), token="demo-token") as moodle:
        settings = settings_from(write_config(tmp_path, moodle.base_url))
    assert settings.issuance.formats == ["data-integrity"]
    with pytest.raises(ValueError, match="did:web"):
        Settings.model_validate(
            {
                "issuance": {"formats": ["data-integrity", "vc-jwt"]},
                "signing": {"method": "did:key"},
            }
        )
    with pytest.raises(ValueError, match="must include data-integrity"):
        Settings.model_validate({"issuance": {"formats": ["vc-jwt"]}})
