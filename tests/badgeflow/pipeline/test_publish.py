"""The publish stage streams credentials from the store in pages and skips unchanged ones."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from badgeflow import store
from badgeflow.pipeline import publish as publish_module
from badgeflow.pipeline import publish_site
from badgeflow.site._tree import manifest_path
from tests.badgeflow.pipeline.issued import AS_OF, issued_runtime


def age_manifest(site) -> None:
    path = manifest_path(site)
    manifest = json.loads(path.read_text("utf-8"))
    manifest["written_ns"] += 60 * 10**9  # no file is racily clean any more
    path.write_text(json.dumps(manifest), "utf-8")


@pytest.mark.slow  # issues five credentials first (signing, baking): several seconds
def test_publish_pages_through_the_store_and_renders_only_what_changed(
    tmp_path, db_url, monkeypatch
):
    monkeypatch.setattr(publish_module, "PAGE_SIZE", 2)  # 5 credentials: three pages
    with issued_runtime(tmp_path, db_url, count=5, publish=False) as runtime:
        with runtime.sessions() as session:
            stored = [r.credential_id for r in store.list_credentials(session)]
        assert len(stored) == 5
        site = runtime.settings.site.output_dir
        first = publish_site(runtime, generated_at=AS_OF)
        assert first.credentials_published == first.credentials_rendered == 5
        published = sorted(p.name for p in (site / "credentials").iterdir() if p.is_dir())
        assert published == sorted(stored)
        age_manifest(site)
        # Baked PNG files and SVGs baked by the stage's partial are digested: nothing renders.
        again = publish_site(runtime, generated_at=AS_OF + timedelta(hours=1))
        assert (again.credentials_rendered, again.files_changed) == (0, 0)
        age_manifest(site)
        with runtime.sessions.begin() as session:
            store.change_status(session, stored[3], "revoke", reason="test", actor="test", at=AS_OF)
        revoked = publish_site(runtime, generated_at=AS_OF + timedelta(hours=2))
        assert revoked.credentials_rendered == 1
        page = site / "credentials" / stored[3] / "index.html"
        assert "Revoked." in page.read_text("utf-8")


@pytest.mark.slow  # issues a credential first (signing, baking): several seconds
def test_a_publish_waits_while_another_holds_the_site(tmp_path, db_url, caplog):
    import logging
    import threading
    import time

    from badgeflow.site.lock import site_lock

    caplog.set_level(logging.INFO, logger="badgeflow")
    with issued_runtime(tmp_path, db_url, count=1, publish=False) as runtime:
        site = runtime.settings.site.output_dir
        reports = []
        with site_lock(site):  # the weekly rebuild, say
            waiter = threading.Thread(
                target=lambda: reports.append(publish_site(runtime, generated_at=AS_OF))
            )
            waiter.start()
            deadline = time.monotonic() + 60
            while "waiting for it to finish" not in caplog.text:
                assert time.monotonic() < deadline, "the second publish never waited"
                time.sleep(0.05)
            assert not (site / "credentials").exists()  # nothing written while waiting
        waiter.join(60)
        assert [r.credentials_published for r in reports] == [1]
