"""A runtime on the demo data with a few credentials issued and the site published."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from badgeflow import store
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
from tests.demo_env import initialise, reset_database, settings_from, write_config

AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@contextmanager
def issued_runtime(
    root: Path,
    db_url: str,
    *,
    base_url: str = "http://localhost:8000",
    purposes: tuple[str, ...] = ("revocation", "suspension"),
    count: int = 4,
    publish: bool = True,
) -> Iterator[Runtime]:
    """Ingest the demo data, issue ``count`` credentials at `AS_OF`, publish the site.

    ``publish=False`` skips the site (most of the time taken) for tests that only need the
    store, such as the email send loop.
    """
    with FakeMoodle(MoodleDataset.load(demo_dataset_path()), token="demo-token") as moodle:
        config = write_config(root, moodle.base_url)
        text = config.read_text(encoding="utf-8")
        text = text.replace(
            f'url = "sqlite:///{root / "var" / "badgeflow.db"}"', f'url = "{db_url}"'
        )
        text = text.replace("[site]\n", f'[site]\nbase_url = "{base_url}"\n')
        listed = ", ".join(f'"{p}"' for p in purposes)
        text += f"\n[issuance]\nstatus_purposes = [{listed}]\n"
        config.write_text(text, encoding="utf-8")
        settings = settings_from(config)
        if not db_url.startswith("sqlite"):
            reset_database(db_url)
        initialise(settings)
        runtime = Runtime(settings)
        with runtime.sessions.begin() as session:
            store.start_batch(session, batch_id="b1", as_of=AS_OF, started_at=AS_OF)
        for source in settings.sources:
            ingest_source(runtime, source.name, batch_id="b1", as_of=AS_OF, full_resync=False)
        evaluate_awards(runtime, batch_id="b1", as_of=AS_OF)
        issue_credentials(
            runtime, pending_award_ids(runtime)[:count], batch_id="b1", issued_at=AS_OF
        )
        if publish:
            publish_site(runtime, generated_at=AS_OF)
        try:
            yield runtime
        finally:
            runtime.engine.dispose()
