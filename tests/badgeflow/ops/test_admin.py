"""Key rotation as the CLI and the rotate-signing-key flow both run it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from badgeflow.credentials.keyring import ensure_keyring, read_manifest
from badgeflow.errors import ConfigurationError
from badgeflow.ops import rotate_signing_key
from badgeflow.settings import Settings

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 11, 30, tzinfo=UTC)


def keyed_settings(tmp_path, **signing) -> Settings:
    settings = Settings(
        var_dir=tmp_path,
        signing={"keys_dir": tmp_path / "keys", "passphrase": "pw-123", **signing},
        site={"base_url": "https://badges.example.org"},
    )
    ensure_keyring(settings.signing.keys_dir, "pw-123", legacy=None, now=T0)
    return settings


def test_rotation_retires_the_current_key_and_names_the_new_method(tmp_path):
    rotation = rotate_signing_key(keyed_settings(tmp_path), now=T1)
    assert (rotation.previous, rotation.new) == ("key-1", "key-2")
    assert rotation.verification_method == "did:web:badges.example.org#key-2"
    assert rotation.issuer_did == "did:web:badges.example.org"
    assert [(r.key_id, r.retired_at) for r in read_manifest(tmp_path / "keys")] == [
        ("key-1", T1),
        ("key-2", None),
    ]
    assert "key-1 -> key-2" in rotation.markdown() and "pw-123" not in rotation.markdown()


def test_did_key_with_status_lists_is_refused_unless_a_new_issuer_is_accepted(tmp_path):
    settings = keyed_settings(tmp_path, method="did:key")
    with pytest.raises(ConfigurationError, match="refusing to rotate"):
        rotate_signing_key(settings, now=T1)
    assert len(read_manifest(tmp_path / "keys")) == 1
    rotation = rotate_signing_key(settings, now=T1, new_issuer=True)
    assert rotation.did_key and rotation.issuer_did.startswith("did:key:z")


def test_a_wrong_passphrase_changes_nothing(tmp_path):
    settings = keyed_settings(tmp_path)
    wrong = settings.model_copy(
        update={"signing": settings.signing.model_copy(update={"passphrase": None})}
    )
    with pytest.raises(ConfigurationError):
        rotate_signing_key(wrong, now=T1)
    assert len(read_manifest(tmp_path / "keys")) == 1
