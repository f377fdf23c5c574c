from __future__ import annotations

import pytest
from pydantic import ValidationError

from badgeflow.errors import ConfigurationError
from badgeflow.settings import MoodleSourceSettings, Settings, did_web_from_url


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no ./badgeflow.toml
    for name in list(__import__("os").environ):
        if name.startswith("BADGEFLOW_"):
            monkeypatch.delenv(name)


def test_defaults_run_everything_under_var():
    settings = Settings()
    assert settings.database.url == "sqlite:///var/badgeflow.db"
    assert str(settings.site.output_dir) == "var/site"
    assert settings.mail.transport == "file"
    assert settings.site.issuer_did == "did:web:localhost%3A8000"
    assert settings.sources == []


def test_nested_environment_variables(monkeypatch):
    monkeypatch.setenv("BADGEFLOW_DATABASE__URL", "postgresql+psycopg://u@db/badges")
    monkeypatch.setenv("BADGEFLOW_SITE__BASE_URL", "https://badges.example.org/")
    monkeypatch.setenv("BADGEFLOW_SIGNING__PASSPHRASE", "s3cret")
    settings = Settings()
    assert settings.database.url == "postgresql+psycopg://u@db/badges"
    assert settings.site.base_url == "https://badges.example.org"
    assert settings.site.issuer_did == "did:web:badges.example.org"
    assert "s3cret" not in repr(settings)
    assert settings.signing.passphrase is not None
    assert settings.signing.passphrase.get_secret_value() == "s3cret"


def test_config_file_with_sources_and_environment_precedence(monkeypatch, tmp_path):
    config = tmp_path / "conf.toml"
    config.write_text(
        '[site]\nbase_url = "https://file.example.org"\n\n'
        '[[sources]]\nname = "moodle-main"\nkind = "moodle"\n'
        'base_url = "https://moodle.example.edu"\ntoken = "t0k"\n\n'
        '[[sources]]\nname = "export"\nkind = "csv"\npath = "/data/x.csv"\n'
    )
    monkeypatch.setenv("BADGEFLOW_CONFIG", str(config))
    settings = Settings()
    assert settings.site.base_url == "https://file.example.org"
    assert [s.kind for s in settings.sources] == ["moodle", "csv"]
    moodle = settings.sources[0]
    assert isinstance(moodle, MoodleSourceSettings)
    assert moodle.token.get_secret_value() == "t0k" and "t0k" not in repr(moodle)
    monkeypatch.setenv("BADGEFLOW_SITE__BASE_URL", "https://env.example.org")
    assert Settings().site.base_url == "https://env.example.org"


def test_missing_config_file_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("BADGEFLOW_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigurationError, match="nope.toml"):
        Settings()


def test_default_config_file_is_read_when_present(tmp_path):
    (tmp_path / "badgeflow.toml").write_text('[mail]\ntransport = "smtp"\n')
    assert Settings().mail.transport == "smtp"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"site": {"base_url": "ftp://x.org"}}, "absolute http"),
        ({"site": {"base_url": "https://x.org/?a=1"}}, "query"),
        ({"mail": {"smtp_port": 0}}, "greater than or equal"),
        ({"sources": [{"name": "a", "kind": "csv", "path": "x"}] * 2}, "unique"),
        ({"sources": [{"name": "Bad Name", "kind": "csv", "path": "x"}]}, "pattern"),
        ({"sources": [{"name": "a", "kind": "sakai"}]}, "kind"),
        ({"colour": "blue"}, "Extra inputs"),
    ],
)
def test_invalid_settings_name_the_problem(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        Settings(**kwargs)


@pytest.mark.parametrize(
    ("url", "did"),
    [
        ("https://example.org", "did:web:example.org"),
        ("https://example.org/badges/", "did:web:example.org:badges"),
        ("http://localhost:8000", "did:web:localhost%3A8000"),
        ("https://w3c-ccg.github.io/user/alice", "did:web:w3c-ccg.github.io:user:alice"),
    ],
)
def test_did_web_from_url(url, did):
    assert did_web_from_url(url) == did


def test_signing_method_is_did_web_or_did_key(monkeypatch):
    assert Settings().signing.method == "did:web"
    assert str(Settings().signing.keys_dir) == "var/keys"
    monkeypatch.setenv("BADGEFLOW_SIGNING__METHOD", "did:key")
    assert Settings().signing.method == "did:key"
    monkeypatch.setenv("BADGEFLOW_SIGNING__METHOD", "did:example")
    with pytest.raises(ValidationError, match="did:web"):
        Settings()


def test_contract_limits_default_and_overrides_must_name_a_source(tmp_path):
    from badgeflow.settings import ContractSettings

    assert ContractSettings().max_bad_row_fraction == 0.05
    assert ContractSettings().max_row_drop_fraction == 0.5
    source = {"name": "export", "kind": "csv", "path": tmp_path / "x.csv"}
    ok = Settings(sources=[source], contracts={"sources": {"export": {"max_bad_row_fraction": 1}}})
    assert ok.contracts.sources["export"].max_bad_row_fraction == 1
    with pytest.raises(ValueError, match="contracts.sources names unknown source"):
        Settings(sources=[source], contracts={"sources": {"typo": {}}})
    with pytest.raises(ValueError):
        ContractSettings(max_bad_row_fraction=1.5)


def test_the_old_smtp_starttls_key_still_works_and_says_it_is_deprecated(
    monkeypatch, tmp_path, caplog
):
    monkeypatch.setenv("BADGEFLOW_MAIL__SMTP_STARTTLS", "true")
    assert Settings().mail.smtp_security == "starttls"
    assert "smtp_starttls is deprecated" in caplog.text
    monkeypatch.delenv("BADGEFLOW_MAIL__SMTP_STARTTLS")
    config = tmp_path / "badgeflow.toml"
    config.write_text('[mail]\nsmtp_starttls = false\nsmtp_security = "tls"\n')
    assert Settings().mail.smtp_security == "tls"
    config.write_text('[mail]\nsmtp_starttls = true\nsmtp_security = "tls"\n')
    with pytest.raises(ValidationError, match="contradicts"):
        Settings()


def test_pilot_settings(monkeypatch):
    assert Settings().mail.pilot is False
    monkeypatch.setenv("BADGEFLOW_MAIL__PILOT_RECIPIENTS", '[" Tester@Example.org ", ""]')
    mail = Settings().mail
    assert (mail.pilot, mail.pilot_recipients) == (True, ["tester@example.org"])
