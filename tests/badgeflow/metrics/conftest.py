"""A migrated store with known figures (tests/badgeflow/metrics/known.py), per test."""

from __future__ import annotations

import pytest

from tests.badgeflow.metrics.known import NOW, build_known_store, known_settings


@pytest.fixture
def known(tmp_path, db_url):
    settings = known_settings(tmp_path, db_url)
    engine, sessions = build_known_store(settings)
    yield settings, sessions
    engine.dispose()


@pytest.fixture
def clock():
    return lambda: NOW
