"""The admin flows and the ops alert under Prefect, on a store with a few credentials issued.

One module fixture: the demo data with four credentials issued and the site published, email
going to a real SMTP server on loopback (aiosmtpd), failure alerts to ops@example.org.
"""

from __future__ import annotations

import json
import os
from email import message_from_bytes, policy

import pytest

from badgeflow import store
from badgeflow.credentials.keyring import read_manifest
from badgeflow.errors import ConfigurationError
from tests.badgeflow.notify.smtp_servers import Handler, Servers, free_port
from tests.badgeflow.pipeline.issued import AS_OF, issued_runtime

pytestmark = pytest.mark.slow

UI = "http://prefect.example.test:4200"


@pytest.fixture(scope="module")
def env(prefect_harness, tmp_path_factory):
    from tasks._settings import get_settings

    root = tmp_path_factory.mktemp("admin")
    servers, handler = Servers(), Handler()
    server = servers.start(handler)
    variables = {
        "BADGEFLOW_CONFIG": str(root / "badgeflow.toml"),
        "BADGEFLOW_MAIL__TRANSPORT": "smtp",
        "BADGEFLOW_MAIL__SMTP_HOST": "127.0.0.1",
        "BADGEFLOW_MAIL__SMTP_PORT": str(server.port),
        "BADGEFLOW_OPS__ALERT_TO": '["ops@example.org"]',
        "BADGEFLOW_OPS__PREFECT_UI_URL": UI,
    }
    try:
        with issued_runtime(root, f"sqlite:///{root / 'var' / 'badgeflow.db'}") as runtime:
            os.environ.update(variables)
            get_settings.cache_clear()
            yield runtime, handler
    finally:
        for name in variables:
            os.environ.pop(name, None)
        get_settings.cache_clear()
        servers.stop()


def messages_to(handler, address):
    found = [message_from_bytes(raw, policy=policy.default) for raw in handler.received]
    return [m for m in found if address in str(m["To"])]


def artifacts(key: str) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        )
    return [str(artifact.data) for artifact in found]


def status_lists(runtime) -> dict[str, bytes]:
    folder = runtime.settings.site.output_dir / "status"
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_revoke_credentials_revokes_emails_and_republishes_the_status_list(env):
    from flows.revoke_credentials import revoke_credentials

    runtime, handler = env
    with runtime.sessions() as session:
        target = store.list_credentials(session)[0]
    before, sent_before = status_lists(runtime), len(handler.received)

    summary = revoke_credentials(
        credential_ids=[target.credential_id, "00000000-0000-4000-8000-000000000000"],
        reason="exam misconduct",
        requested_by="registrar",
        notify_learners=True,
    )

    assert summary["changed"] == [target.credential_id]
    assert list(summary["not_changed"]) == ["00000000-0000-4000-8000-000000000000"]
    assert summary["emails_sent"] == 1 and summary["site_published"] is True
    assert len(handler.received) == sent_before + 1
    with runtime.sessions() as session:
        assert store.get_credential(session, target.credential_id).status == "revoked"
    after = status_lists(runtime)
    assert set(after) == set(before) and after != before  # the revocation list was re-signed
    assert any("1 changed, 1 not changed" in text for text in artifacts("revoke-credentials"))

    again = revoke_credentials(
        credential_ids=[target.credential_id], reason="twice", requested_by="registrar"
    )
    assert again["changed"] == [] and again["site_published"] is True  # harmless re-run


def test_rotate_signing_key_publishes_both_keys(env):
    from flows.rotate_signing_key import rotate_signing_key

    runtime, _ = env
    result = rotate_signing_key()
    assert (result["previous"], result["current"]) == ("key-1", "key-2")
    did = json.loads(
        (runtime.settings.site.output_dir / ".well-known" / "did.json").read_text("utf-8")
    )
    assert [m["id"].rpartition("#")[2] for m in did["verificationMethod"]] == ["key-1", "key-2"]
    assert [r.key_id for r in read_manifest(runtime.settings.signing.keys_dir)][-1] == "key-2"


def test_rebuild_site_full_rewrites_every_file(env):
    from flows.rebuild_site import rebuild_site

    full = rebuild_site(mode="full")
    assert full["files_changed"] > 0 and full["credentials"] == 4
    incremental = rebuild_site()
    assert incremental["files_changed"] == 0 and incremental["mode"] == "incremental"


def test_a_failed_nightly_batch_emails_ops_the_stage_error_and_link(env):
    from prefect.client.orchestration import get_client

    from flows.nightly_issuance import nightly_issuance

    _, handler = env
    with pytest.raises(ConfigurationError, match="no source named 'no-such-lms'"):
        nightly_issuance(as_of=AS_OF, sources=["no-such-lms"], batch_id="alert-batch")

    [alert] = [m for m in messages_to(handler, "ops@example.org") if "alert-batch" in m["Subject"]]
    body = alert.get_content()
    assert alert["Subject"] == (
        "[badgeflow] nightly-issuance failed: no deployment, batch alert-batch"
    )
    assert "Failed stage: ingest" in body
    assert "ConfigurationError: no source named 'no-such-lms'" in body
    with get_client(sync_client=True) as client:
        [run] = [
            r for r in client.read_flow_runs() if r.parameters.get("batch_id") == "alert-batch"
        ]
    assert f"{UI}/runs/flow-run/{run.id}" in body
    assert "@" not in body.replace("ops@example.org", "")  # no learner address, no secret


def test_an_alert_that_cannot_be_sent_never_hides_the_failure(env, monkeypatch):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    from flows.rebuild_site import rebuild_site
    from tasks._settings import get_settings
    from tasks.alerts import alert_ops

    _, handler = env
    received = len(handler.received)
    monkeypatch.setenv("BADGEFLOW_MAIL__SMTP_PORT", str(free_port()))  # nobody listens
    monkeypatch.setenv("BADGEFLOW_CATALOG_DIR", "/nonexistent/catalog")
    get_settings.cache_clear()
    try:
        with pytest.raises(Exception, match="catalog") as failure:
            rebuild_site()
        assert "SMTP" not in str(failure.value)
        assert len(handler.received) == received
        # the hook itself swallows the mail error (Prefect would only log it otherwise)
        with get_client(sync_client=True) as client:
            [run] = client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=["rebuild-site"])),
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.FAILED]))
                ),
                sort=FlowRunSort.START_TIME_DESC,
                limit=1,
            )
        assert run.state.is_failed()
        assert alert_ops(rebuild_site, run, run.state) is None
    finally:
        get_settings.cache_clear()
