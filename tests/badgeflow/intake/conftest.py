"""An intake app on a freshly migrated SQLite database, with a fixed clock."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from badgeflow import store
from badgeflow.fakelms.webhooks import Delivery
from badgeflow.intake import IntakeApp, intake_source
from badgeflow.settings import WebhookSourceSettings
from badgeflow.store.schema import WebhookEvent

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SECRET = "s3cret-never-logged"

SOURCES = [
    WebhookSourceSettings(name="bridge", vendor="generic", secret=SECRET),
    WebhookSourceSettings(name="zap", vendor="generic", auth="bearer", secret=SECRET),
    WebhookSourceSettings(name="canvas-live", vendor="canvas", auth="query", secret=SECRET),
    WebhookSourceSettings(name="docebo-hooks", vendor="docebo", secret=SECRET),
    WebhookSourceSettings(name="litmos-hooks", vendor="litmos", auth="bearer", secret=SECRET),
    WebhookSourceSettings(
        name="360-hooks",
        vendor="360learning",
        secret="whsec_c2lnbmluZy1rZXk=",
        previous_secret="whsec_b2xkLWtleQ==",
    ),
    WebhookSourceSettings(
        name="csod-hooks", vendor="cornerstone", header="X-Csod-Key", secret=SECRET
    ),
    WebhookSourceSettings(name="moodle-hooks", vendor="moodle", secret=SECRET),
]


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory) -> Path:
    """A migrated SQLite file, made once; each test gets a copy (migrating takes ~1 s)."""
    path = tmp_path_factory.mktemp("intake") / "template.db"
    engine = store.make_engine(f"sqlite:///{path}")
    store.migrate(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def migrated_copy(template: Path, folder: Path) -> str:
    """Copy the migrated template into `folder`; return its URL."""
    target = folder / "intake.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def db_file_url(migrated_db, tmp_path) -> str:
    return migrated_copy(migrated_db, tmp_path)


@pytest.fixture
def sessions(db_file_url):
    engine = store.make_engine(db_file_url)
    yield store.session_factory(engine)
    engine.dispose()


@pytest.fixture
def started():
    return []


@pytest.fixture
def app(sessions, started):
    return IntakeApp(
        {s.name: intake_source(s) for s in SOURCES},
        sessions,
        clock=lambda: NOW,
        max_body_bytes=4096,
        on_stored=started.append,
    )


def post(app, path: str, delivery: Delivery, *, method: str = "POST") -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            return await client.request(
                method,
                path,
                content=delivery.body,
                headers=delivery.headers,
                params=delivery.params,
            )

    return asyncio.run(go())


def stored(sessions, source: str | None = None) -> list[WebhookEvent]:
    with sessions() as session:
        query = select(WebhookEvent).order_by(WebhookEvent.id)
        if source is not None:
            query = query.where(WebhookEvent.source == source)
        return list(session.scalars(query))
