"""A batch whose export breaks the contract halts before issuing; fixed, it goes through."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from badgeflow import store
from badgeflow.errors import BatchHalted
from tests.contract_env import write_export, write_export_config
from tests.demo_env import initialise, settings_from

pytestmark = pytest.mark.slow

AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _artifact(key: str) -> str | None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        )
    return str(found[0].data) if found else None


def _state(settings):
    engine = store.make_engine(settings.database.url)
    with store.session_factory(engine)() as session:
        state = {
            "batch": store.get_batch(session, "halt-1"),
            "watermark": store.get_watermark(session, "export"),
            "credentials": len(store.list_credentials(session)),
            "rows": store.count_rows(session),
        }
    engine.dispose()
    return state


def test_a_halted_batch_issues_nothing_and_its_fixed_re_run_succeeds(prefect_harness, tmp_path):
    from flows.nightly_issuance import nightly_issuance
    from tasks._settings import get_settings

    export = write_export(tmp_path / "export.csv", good=88, bad=12, name="<script>x</script>")
    config = write_export_config(tmp_path, export)
    settings = settings_from(config)
    initialise(settings)
    reports = settings.var_dir / "reports" / "halt-1"
    os.environ["BADGEFLOW_CONFIG"] = str(config)
    get_settings.cache_clear()
    try:
        with pytest.raises(BatchHalted) as halted:
            nightly_issuance(as_of=AS_OF, batch_id="halt-1")
        artifact = _artifact("contract-halt")
        after_halt = _state(settings)
        html = (reports / "validation.html").read_text()
        write_export(export, good=98, bad=2)  # the admin fixes the export
        summary = nightly_issuance(as_of=AS_OF, batch_id="halt-1")
    finally:
        del os.environ["BADGEFLOW_CONFIG"]
        get_settings.cache_clear()

    message = str(halted.value)
    assert message.startswith("Batch halted before anything was issued: source export: 12.0%")
    assert "of 100 rows failed the contract (limit 5%)" in message
    assert artifact is not None and message in artifact
    assert f"`{reports / 'validation.html'}`" in artifact and "--accept-contract-breach" in artifact
    batch = after_halt["batch"]
    assert batch["status"] == "failed" and batch["summary"]["halted"] == message
    assert batch["stages"]["ingest"]["status"] == "halted"
    assert set(batch["stages"]) == {"ingest"}  # evaluate, issue, publish, notify never ran
    assert (after_halt["watermark"], after_halt["credentials"]) == (None, 0)
    rows = after_halt["rows"]
    assert (rows["completions"], rows["awards"], rows["quarantined_rows"]) == (0, 0, 12)
    assert "Batch halted." in html and "<script>x" not in html

    # The fixed re-run of the same batch goes through, issues, and rewrites its reports.
    after_fix = _state(settings)
    assert summary["halted"] == "" and summary["credentials_issued"] > 0
    assert summary["reports_dir"] == str(reports)
    assert len((reports / "quarantine.csv").read_text().splitlines()) == 1 + 2
    assert after_fix["batch"]["status"] == "succeeded"
    assert after_fix["batch"]["stages"]["ingest"]["status"] == "succeeded"
    assert after_fix["watermark"] is not None
