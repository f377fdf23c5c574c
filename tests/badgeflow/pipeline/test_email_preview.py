"""`badgeflow preview`: a batch's emails written to files for review, nothing sent or recorded."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from badgeflow import store
from badgeflow.cli import app
from badgeflow.errors import ConfigurationError
from badgeflow.models import LEARNER_EMAIL, LEARNER_NAME
from badgeflow.pipeline.email_preview import write_preview
from badgeflow.pipeline.runtime import Runtime
from badgeflow.store.schema import EmailOutbox
from tests.badgeflow.store.factories import AS_OF, award, awards_frame, new_credential
from tests.demo_env import REPO, settings_from

runner = CliRunner()


HOSTILE = '<script>alert("x")</script> \u202eEve'
CREDENTIALS = [f"{n}{n}{n}{n}{n}{n}{n}{n}-1111-4111-8111-111111111111" for n in range(1, 4)]


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    """Three award emails queued in batch b1 (one to a hostile name), on the demo catalog."""
    root = tmp_path_factory.mktemp("preview")
    config = root / "badgeflow.toml"
    config.write_text(
        f'var_dir = "{root / "var"}"\ncatalog_dir = "{REPO / "badge_catalog"}"\n'
        f'[database]\nurl = "sqlite:///{root / "db.sqlite"}"\n'
        f'[site]\noutput_dir = "{root / "site"}"\n[mail]\noutbox_dir = "{root / "outbox"}"\n',
        encoding="utf-8",
    )
    settings = settings_from(config)
    engine = store.make_engine(settings.database.url)
    store.migrate(engine)
    engine.dispose()
    rt = Runtime(settings)
    names = ["Ada Lovelace", HOSTILE, "مريم"]
    with rt.sessions.begin() as session:
        store.start_batch(session, batch_id="b1", as_of=AS_OF, started_at=AS_OF)
        rows = [
            award(f"k{n}", **{LEARNER_EMAIL: f"l{n}@example.org", LEARNER_NAME: name})
            for n, name in enumerate(names)
        ]
        ids = store.insert_awards(session, awards_frame(*rows), batch_id="b1")
        store.save_credentials(
            session,
            [new_credential(a, c, batch_id="b1") for a, c in zip(ids, CREDENTIALS, strict=True)],
        )
        assert store.enqueue_award_emails(session) == 3
    yield rt
    rt.engine.dispose()


def outbox_state(runtime):
    with runtime.sessions() as session:
        rows = session.scalars(select(EmailOutbox).order_by(EmailOutbox.id)).all()
        return [(r.id, r.status, r.attempts, r.message_id, r.sent_at) for r in rows]


class _Frames(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.frames: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "iframe":
            self.frames.append(dict(attrs))


def test_preview_writes_every_email_and_changes_nothing(runtime, tmp_path):
    before = outbox_state(runtime)
    result = write_preview(runtime, out_dir=tmp_path)  # default: the latest batch with emails
    assert result.batch_id == "b1" and result.emails == 3
    assert outbox_state(runtime) == before  # still pending, no attempt, no Message-ID
    assert not (runtime.settings.mail.outbox_dir).exists() or not any(
        runtime.settings.mail.outbox_dir.iterdir()
    )
    folder = tmp_path / "b1"
    pages = sorted(folder.glob("0*-award-*.html"))
    texts = sorted(folder.glob("0*-award-*.txt"))
    assert len(pages) == 3 and len(texts) == 3
    index = (folder / "index.html").read_text(encoding="utf-8")
    for page in pages:
        assert f'href="{page.name}"' in index
    page = pages[0].read_text(encoding="utf-8")
    assert "<th>Subject</th><td>You earned the " in page
    assert "<th>Message-ID</th><td>&lt;award." in page
    parser = _Frames()
    parser.feed(page)
    (frame,) = parser.frames
    assert frame["sandbox"] == "allow-same-origin"  # no scripts, forms or navigation
    body = frame["srcdoc"]
    assert "cid:" not in body
    images = re.findall(r'src="([^"]+\.png)"', body)
    assert len(images) == 2
    for name in images:
        assert (folder / name).read_bytes().startswith(b"\x89PNG")
    assert "View and accept your badge" in body
    text = texts[0].read_text(encoding="utf-8")
    assert text.startswith("Subject: You earned the ")
    assert "View and accept your badge:" in text


def test_limit_and_explicit_batch(runtime, tmp_path):
    result = write_preview(runtime, batch_id="b1", limit=1, out_dir=tmp_path)
    assert result.emails == 1
    assert len(list((tmp_path / "b1").glob("*.txt"))) == 1
    with pytest.raises(ConfigurationError, match="no batch 'nope'"):
        write_preview(runtime, batch_id="nope", out_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="malformed"):
        write_preview(runtime, batch_id="../etc", out_dir=tmp_path)


def test_cli_writes_under_var_preview(runtime, monkeypatch):
    monkeypatch.setenv("BADGEFLOW_CONFIG", str(runtime.settings.var_dir.parent / "badgeflow.toml"))
    monkeypatch.chdir(runtime.settings.var_dir.parent)
    result = runner.invoke(app, ["preview", "--limit", "2"])
    assert result.exit_code == 0, result.output
    index = runtime.settings.var_dir / "preview" / "b1" / "index.html"
    assert f"2 emails of batch b1 rendered for review (the preview sends nothing): {index}" in (
        result.output
    )
    assert index.is_file()
    result = runner.invoke(app, ["preview", "--batch", "missing"])
    assert result.exit_code == 2
    assert "no batch 'missing'" in result.output


def test_hostile_names_stay_escaped_in_the_preview(runtime, tmp_path):
    folder = write_preview(runtime, batch_id="b1", out_dir=tmp_path).folder
    for path in folder.iterdir():
        if path.suffix == ".html":
            page = path.read_text(encoding="utf-8")
            assert "<script" not in page and "\u202e" not in page
    (page,) = [p for p in folder.glob("*.html") if "&amp;lt;script&amp;gt;" in p.read_text()]
    # The header table escapes once; the body sits in srcdoc, escaped twice (HTML in HTML).
    head, body = page.read_text().split("<iframe", 1)
    assert "<th>To</th><td>&#34;&lt;script&gt;alert(" in head
    assert "Congratulations, &amp;lt;script&amp;gt;alert(&amp;#34;x&amp;#34;)" in body
