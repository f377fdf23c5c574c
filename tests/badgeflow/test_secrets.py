"""Secret settings that name a Prefect Secret block: found, resolved, reported."""

from __future__ import annotations

import pytest

from badgeflow.errors import ConfigurationError
from badgeflow.secrets import (
    resolve_secret_references,
    secret_references,
    unresolved_references,
)
from badgeflow.settings import Settings

BLOCKS = {"moodle-token": "tok-123456", "signing-pass": "correct horse", "canvas": "c-abcdef"}


def settings(**overrides) -> Settings:
    values = {
        "signing": {"passphrase": "prefect-secret:signing-pass"},
        "sources": [
            {
                "kind": "moodle",
                "name": "m",
                "base_url": "https://moodle.example.edu",
                "token": "prefect-secret:moodle-token",
            },
            {
                "kind": "canvas",
                "name": "c",
                "base_url": "https://canvas.example.edu",
                "token": "prefect-secret: canvas ",
            },
            {
                "kind": "canvas",
                "name": "plain",
                "base_url": "https://canvas.example.edu",
                "token": "literal-token",
            },
        ],
    }
    values.update(overrides)
    return Settings(**values)


def test_references_are_listed_with_their_setting_paths():
    assert secret_references(settings()) == [
        ("signing.passphrase", "signing-pass"),
        ("sources[0].token", "moodle-token"),
        ("sources[1].token", "canvas"),
    ]


def test_resolution_replaces_only_references_and_leaves_the_original_alone():
    original = settings()
    resolved = resolve_secret_references(original, BLOCKS.__getitem__)

    assert resolved.signing.passphrase is not None
    assert resolved.signing.passphrase.get_secret_value() == "correct horse"
    tokens = [source.token.get_secret_value() for source in resolved.sources]
    assert tokens == ["tok-123456", "c-abcdef", "literal-token"]
    assert unresolved_references(resolved) == []
    assert len(unresolved_references(original)) == 3
    assert "tok-123456" not in repr(resolved) and "tok-123456" not in str(resolved.model_dump())


def test_settings_without_references_come_back_unchanged():
    plain = Settings(sources=[])
    assert resolve_secret_references(plain, BLOCKS.__getitem__) is plain


def test_a_missing_block_names_the_setting_and_the_block_never_a_secret():
    with pytest.raises(ConfigurationError) as caught:
        resolve_secret_references(settings(), {"signing-pass": "x"}.__getitem__)
    message = str(caught.value)
    assert "sources[0].token" in message and "'moodle-token'" in message
    assert "KeyError" in message and "correct horse" not in message


def test_an_empty_block_or_an_empty_name_is_refused():
    with pytest.raises(ConfigurationError, match="holds no text value"):
        resolve_secret_references(settings(), lambda name: "")
    with pytest.raises(ConfigurationError, match="names no secret block"):
        secret_references(settings(signing={"passphrase": "prefect-secret:"}))


def test_require_resolved_checks_all_or_one_setting():
    from badgeflow.secrets import require_resolved

    with pytest.raises(ConfigurationError, match=r"signing\.passphrase \('signing-pass'\)"):
        require_resolved(settings(), only="signing.passphrase")
    literal = settings(signing={"passphrase": "literal"})
    require_resolved(literal, only="signing.passphrase")
    with pytest.raises(ConfigurationError, match=r"sources\[0\]\.token"):
        require_resolved(literal)


def test_the_cli_never_uses_a_block_reference_as_the_key_passphrase(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from badgeflow.cli import app

    config = tmp_path / "badgeflow.toml"
    config.write_text(
        f'var_dir = "{tmp_path}"\n[signing]\nkeys_dir = "{tmp_path / "keys"}"\n'
        'passphrase = "prefect-secret:issuer-pass"\n'
    )
    monkeypatch.setenv("BADGEFLOW_CONFIG", str(config))

    result = CliRunner().invoke(app, ["init"])

    assert result.exit_code == 2
    assert "configuration error: signing.passphrase ('issuer-pass')" in result.output
    assert not (tmp_path / "keys").exists()
