"""Key rotation between two pipeline runs (no Prefect): every published credential verifies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from badgeflow import store
from badgeflow.credentials import verify_credential
from badgeflow.credentials.keyring import Keyring
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
from tests.demo_env import initialise, settings_from, write_config

# In the past: Digital Bazaar checks the status lists' validFrom against the real clock.
AS_OF = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
ROTATED_AT = AS_OF + timedelta(hours=6)
NEXT_RUN = AS_OF + timedelta(days=1)
FIRST_BATCH = 10


@pytest.fixture(params=["did:web", "did:key"])
def settings(request, tmp_path):
    with FakeMoodle(MoodleDataset.load(demo_dataset_path()), token="demo-token") as moodle:
        settings = settings_from(write_config(tmp_path, moodle.base_url))
        signing = settings.signing.model_copy(update={"method": request.param})
        settings = settings.model_copy(update={"signing": signing})
        if request.param == "did:key":
            # A did:key rotation makes a new issuer, which cannot sign the earlier issuer's
            # status lists: `keys rotate` refuses it while status lists are in use (see
            # tests/badgeflow/cli/test_keys.py), so this run issues without status entries.
            issuance = settings.issuance.model_copy(update={"status_purposes": []})
            settings = settings.model_copy(update={"issuance": issuance})
        initialise(settings)
        yield settings


def _issue_rotate_issue_publish(settings):
    """Night 1 issues a few credentials; the keys rotate; night 2 issues the rest."""
    night1 = Runtime(settings)

    with night1.sessions.begin() as session:
        store.start_batch(session, batch_id="night-1", as_of=AS_OF, started_at=AS_OF)
    for source in settings.sources:
        ingest_source(night1, source.name, batch_id="night-1", as_of=AS_OF, full_resync=False)
    evaluate_awards(night1, batch_id="night-1", as_of=AS_OF)
    awards = pending_award_ids(night1)
    assert len(awards) > FIRST_BATCH
    issue_credentials(night1, awards[:FIRST_BATCH], batch_id="night-1", issued_at=AS_OF)
    old_method = night1.signer.verification_method

    passphrase = settings.signing.passphrase.get_secret_value()
    Keyring.load(settings.signing.keys_dir, passphrase).rotate(ROTATED_AT)  # `keys rotate`
    # Night 1 publishes after the rotation: its did.json already lists the new key.
    publish_site(night1, generated_at=AS_OF)
    night1.engine.dispose()
    did = json.loads((settings.site.output_dir / ".well-known" / "did.json").read_text())
    assert [m["id"].rpartition("#")[2] for m in did["verificationMethod"]] == ["key-1", "key-2"]

    night2 = Runtime(settings)
    new_method = night2.signer.verification_method
    issue_credentials(night2, awards[FIRST_BATCH:], batch_id="night-2", issued_at=NEXT_RUN)
    publish_site(night2, generated_at=NEXT_RUN)
    night2.engine.dispose()
    return settings.site.output_dir, old_method, new_method, len(awards)


def test_every_credential_verifies_against_the_published_did_document(settings):
    site, old_method, new_method, total = _issue_rotate_issue_publish(settings)
    assert old_method != new_method
    did = json.loads((site / ".well-known" / "did.json").read_text())
    site_did = settings.site.issuer_did
    assert did["id"] == site_did
    ids = [method["id"] for method in did["verificationMethod"]]
    assert ids == [f"{site_did}#key-1", f"{site_did}#key-2"]

    files = sorted((site / "credentials").glob("*.json"))
    assert len(files) == total
    methods: dict[str, int] = {}
    issuers = set()
    for path in files:
        credential = json.loads(path.read_text())
        result = verify_credential(credential, did_documents={did["id"]: did}, now=NEXT_RUN)
        assert result.verified, (path.name, result.errors)
        method = credential["proof"][0]["verificationMethod"]
        methods[method] = methods.get(method, 0) + 1
        issuers.add(result.issuer)
    assert methods == {old_method: FIRST_BATCH, new_method: total - FIRST_BATCH}
    profile = json.loads((site / "issuer" / "profile.json").read_text())
    if settings.signing.method == "did:web":
        assert set(methods) <= set(ids) and issuers == {site_did} and profile["id"] == site_did
    else:
        # did:key: the issuer id is the key, so the rotation changed it.
        assert issuers == {m.partition("#")[0] for m in methods}
        assert all(m.startswith("did:key:z6Mk") for m in methods)
        assert profile["id"] == new_method.partition("#")[0]


@pytest.mark.slow
def test_every_credential_verifies_with_digital_bazaar(settings):
    from tests.interop.digitalbazaar import verify_with_digitalbazaar

    site, _, _, total = _issue_rotate_issue_publish(settings)
    files = sorted((site / "credentials").glob("*.json"))
    status_lists = sorted(path for path in (site / "status").glob("*/*") if path.is_file())
    assert status_lists, "the site publishes the status lists the credentials point at"
    results = verify_with_digitalbazaar(
        files,
        [site / ".well-known" / "did.json"],
        now=NEXT_RUN.isoformat(),
        status_lists=status_lists,
    )
    assert len(results) == total
    assert [r for r in results if not r["verified"]] == []
