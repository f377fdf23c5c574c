"""The ``on_failure`` / ``on_crashed`` hook that emails ops (``ops.alert_to``) about a failed run.

Attach it with ``@flow(on_failure=[alert_ops], on_crashed=[alert_ops])``. The content comes
from `badgeflow.ops.alerts`; the failed stage from the batch ledger. A failing alert is logged
and never replaces the run's own failure.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun, State
from prefect.logging.loggers import flow_run_logger
from prefect.settings import PREFECT_UI_URL

from badgeflow import store
from badgeflow.ops import FailedRun, build_alert_email, send_alert
from badgeflow.pipeline import Runtime
from badgeflow.secrets import secret_values
from tasks._settings import get_runtime, get_settings


def alert_ops(flow: Flow[..., Any], flow_run: FlowRun, state: State[Any]) -> None:
    """Email ops that `flow_run` failed or crashed; log (never raise) if that is impossible."""
    logger = flow_run_logger(flow_run, flow)
    try:
        message_id = _send(flow, flow_run, state)
    except Exception as exc:  # an alert must never mask the failure it reports
        logger.error("failure alert not sent: %s: %s", type(exc).__name__, exc)
        return
    if message_id:
        logger.info("failure alert sent to ops (%s)", message_id)
    else:
        logger.info("no failure alert: ops.alert_to is empty")


def _send(flow: Flow[..., Any], flow_run: FlowRun, state: State[Any]) -> str | None:
    settings = get_settings()
    if not settings.ops.alert_to:
        return None
    runtime = get_runtime()
    batch_id, batch = _batch(runtime, flow_run)
    run = FailedRun(
        flow_name=flow.name,
        flow_run_id=str(flow_run.id),
        flow_run_name=flow_run.name,
        deployment=_deployment_name(flow_run),
        state=state.name or state.type.value.title(),
        error=_error_text(state),
        batch_id=batch_id,
    )
    message = build_alert_email(
        run,
        batch=batch,
        settings=settings,
        secrets=secret_values(settings),
        now=datetime.now(UTC),
        prefect_ui_url=PREFECT_UI_URL.value(),
    )
    return send_alert(runtime.mailer, message)


def _batch(runtime: Runtime, flow_run: FlowRun) -> tuple[str | None, dict[str, Any] | None]:
    """The run's batch: its ``batch_id`` parameter, else the run id (the nightly default)."""
    named = flow_run.parameters.get("batch_id")
    candidates = [str(named)] if named else [str(flow_run.id)]
    for batch_id in candidates:
        try:
            with runtime.sessions() as session:
                return batch_id, store.get_batch(session, batch_id)
        except KeyError:
            continue
        except Exception:  # the database may be what failed: alert without the ledger
            return batch_id, None
    return (str(named) if named else None), None


def _deployment_name(flow_run: FlowRun) -> str | None:
    if flow_run.deployment_id is None:
        return None
    try:
        with get_client(sync_client=True) as client:
            return client.read_deployment(flow_run.deployment_id).name
    except Exception:  # the API being down must not stop the alert
        return str(flow_run.deployment_id)


def _error_text(state: State[Any]) -> str:
    try:
        result = state.result(raise_on_failure=False)
    except Exception:
        result = None
    if isinstance(result, BaseException):
        return f"{type(result).__name__}: {result}"
    return state.message or ""
