"""A broken catalog fails the nightly flow before any batch is started or any source read."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from badgeflow.errors import CatalogError
from tests.demo_env import initialise, settings_from, write_config

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def test_a_broken_catalog_fails_the_flow_before_ingest(prefect_harness, tmp_path: Path):
    from flows.nightly_issuance import nightly_issuance
    from tasks._settings import get_settings

    catalog = tmp_path / "catalog"
    shutil.copytree(REPO / "badge_catalog", catalog)
    broken = catalog / "achievements" / "data-foundations.yaml"
    broken.write_text(broken.read_text().replace("course: DS101", "course: DS101\n  min_scor: 5"))
    config = write_config(
        tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9", "http://127.0.0.1:9"
    )
    settings = settings_from(config)
    initialise(settings)
    os.environ["BADGEFLOW_CONFIG"] = str(config)
    os.environ["BADGEFLOW_CATALOG_DIR"] = str(catalog)
    get_settings.cache_clear()
    try:
        with pytest.raises(CatalogError, match=rf"{broken}:\d+: unknown key 'min_scor'"):
            nightly_issuance(as_of=datetime(2026, 11, 29, tzinfo=UTC))
    finally:
        del os.environ["BADGEFLOW_CONFIG"], os.environ["BADGEFLOW_CATALOG_DIR"]
        get_settings.cache_clear()
    engine = create_engine(settings.database.url)
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        batches = connection.exec_driver_sql("SELECT count(*) FROM batches").scalar()
    engine.dispose()
    assert "batches" in tables and batches == 0
