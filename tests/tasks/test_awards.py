"""`check-catalog`: the task the flow runs first, so a broken catalog stops the run early."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from badgeflow.errors import CatalogError
from tasks._settings import get_settings
from tasks.awards import check_catalog

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def catalog_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "catalog"
    shutil.copytree(REPO / "badge_catalog", root)
    monkeypatch.delenv("BADGEFLOW_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BADGEFLOW_CATALOG_DIR", str(root))
    get_settings.cache_clear()
    yield root
    get_settings.cache_clear()


def test_check_catalog_loads_the_catalog(catalog_dir: Path):
    assert check_catalog.fn() == {"achievements": 6, "pathways": 1}


def test_check_catalog_fails_with_the_file_and_line(catalog_dir: Path):
    path = catalog_dir / "achievements" / "data-applied.yaml"
    path.write_text(path.read_text().replace("course: DS201", "course: DS210"))
    with pytest.raises(CatalogError, match=rf"{path}:\d+: unknown course 'DS210'.*'DS201'"):
        check_catalog.fn()
