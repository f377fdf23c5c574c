"""The failure alert emailed to ops: which run failed, at which stage, why, and where to look.

Nothing in it may leak: the error text is redacted (secret setting values, passwords in URLs,
``token=…`` pairs, every email address) before it is written into the message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, Final

from badgeflow.notify.mailer import Mailer
from badgeflow.reports import report_dir
from badgeflow.settings import Settings

__all__ = ["STAGES", "FailedRun", "build_alert_email", "failed_stage", "redact", "run_url"]

STAGES: Final = ("ingest", "evaluate", "issue", "publish", "notify")
"""The nightly batch's stages, in order (the batch ledger records each one that finished)."""

_MAX_ERROR_CHARS: Final = 4000
_EMAIL = re.compile(r"[\w.+'%-]+@[\w-]+(?:\.[\w-]+)+")
_URL_CREDENTIALS = re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+@")
_SECRET_PAIR = re.compile(
    r"(?i)\b(password|passphrase|passwd|token|secret|api[_-]?key|authorization)"
    r"(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|\S+)"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")


@dataclass(frozen=True)
class FailedRun:
    """What the orchestrator tells about a run that failed or crashed."""

    flow_name: str
    flow_run_id: str
    flow_run_name: str = ""
    deployment: str | None = None
    state: str = "Failed"
    error: str = ""
    batch_id: str | None = None


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask secrets and email addresses in a text meant for people.

    Args:
        text: an error message or log line.
        secrets: secret values to mask wherever they appear (from `secret_values`).

    Returns:
        The text with each secret as ``[secret]``, passwords in URLs as ``***:***@``,
        ``password=…``-like pairs masked and every email address as ``[email]``.
    """
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, "[secret]")
    text = _URL_CREDENTIALS.sub("***:***@", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} [secret]", text)  # before `Authorization:`
    text = _SECRET_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}[secret]", text)
    return _EMAIL.sub("[email]", text)


def failed_stage(batch: Mapping[str, Any] | None) -> str | None:
    """The stage a batch stopped at, from its ledger (`badgeflow.store.get_batch`).

    Args:
        batch: the batch as plain data, or None when there is no batch.

    Returns:
        The first stage recorded with a status other than ``succeeded`` (``halted``, say),
        else the first stage of `STAGES` not recorded at all; None when every stage succeeded
        or there is no batch.
    """
    if batch is None:
        return None
    stages: Mapping[str, Any] = batch.get("stages") or {}
    for name, entry in stages.items():
        if isinstance(entry, Mapping) and entry.get("status") != "succeeded":
            return name
    return next((name for name in STAGES if name not in stages), None)


def run_url(ui_url: str | None, flow_run_id: str) -> str | None:
    """The Prefect UI page of a flow run, or None without a UI URL."""
    if not ui_url:
        return None
    return f"{ui_url.rstrip('/')}/runs/flow-run/{flow_run_id}"


def _report_link(settings: Settings, batch_id: str) -> str | None:
    if settings.ops.reports_url:
        return f"{settings.ops.reports_url.rstrip('/')}/{batch_id}/validation.html"
    try:
        path = report_dir(settings.var_dir, batch_id) / "validation.html"
    except ValueError:
        return None
    return str(path.resolve()) if path.is_file() else None


def _stage_lines(batch: Mapping[str, Any]) -> list[str]:
    lines = []
    for name, entry in (batch.get("stages") or {}).items():
        counts = ", ".join(f"{k} {v}" for k, v in (entry.get("counts") or {}).items())
        lines.append(f"  {name:<9} {entry.get('status', '?')}" + (f" ({counts})" if counts else ""))
    return lines


def build_alert_email(
    run: FailedRun,
    *,
    batch: Mapping[str, Any] | None,
    settings: Settings,
    secrets: Iterable[str],
    now: datetime,
    prefect_ui_url: str | None = None,
) -> EmailMessage:
    """Write the alert for one failed flow run.

    Args:
        run: the failed run.
        batch: its batch from the ledger (`badgeflow.store.get_batch`), or None.
        settings: the settings (``ops.*`` for recipients and links, ``mail.from_address``).
        secrets: secret values to redact from the error (`badgeflow.secrets.secret_values`).
        now: the alert's Date (aware).
        prefect_ui_url: the Prefect UI base URL when ``ops.prefect_ui_url`` is unset.

    Returns:
        The message, addressed to ``ops.alert_to``, with a Message-ID.
    """
    secrets = list(secrets)
    batch_id = run.batch_id or "-"
    where = run.deployment or "no deployment"
    subject = f"[badgeflow] {run.flow_name} {run.state.lower()}: {where}, batch {batch_id}"
    stage = failed_stage(batch)
    error = redact(run.error or "(no error message)", secrets)
    if len(error) > _MAX_ERROR_CHARS:
        error = error[:_MAX_ERROR_CHARS] + " […]"
    lines = [
        f"Flow run {run.flow_run_name or run.flow_run_id} of {run.flow_name} ended {run.state}.",
        "",
        f"Deployment:   {where}",
        f"Flow run id:  {run.flow_run_id}",
        f"Batch:        {batch_id}" + (f" (status {batch.get('status')})" if batch else ""),
    ]
    if batch is not None:
        lines.append(f"Failed stage: {stage or 'none (every stage finished)'}")
        lines += ["", "Stages recorded:", *(_stage_lines(batch) or ["  (none)"])]
    lines += ["", "Error:", error, ""]
    link = run_url(settings.ops.prefect_ui_url or prefect_ui_url, run.flow_run_id)
    lines.append(f"Prefect run:  {link}" if link else "Prefect run:  (set ops.prefect_ui_url)")
    report = _report_link(settings, run.batch_id) if run.batch_id and batch else None
    if report:
        lines.append(f"Validation report: {report}")
    if run.batch_id and batch:
        lines += [
            "",
            "To resume the batch after fixing the cause: Retry this run in the Prefect UI, or run",
            f"the rerun-batch-manual deployment with batch_id {run.batch_id}.",
        ]
    message = EmailMessage()
    message["Subject"] = redact(subject, secrets)
    message["From"] = settings.mail.from_address
    message["To"] = ", ".join(settings.ops.alert_to)
    message["Date"] = format_datetime(now)
    domain = parseaddr(settings.mail.from_address)[1].rpartition("@")[2] or "badgeflow.invalid"
    message["Message-ID"] = f"<alert-{run.flow_run_id}-{now:%Y%m%dT%H%M%S%f}@{domain}>"
    message.set_content("\n".join(lines) + "\n")
    return message


def send_alert(mailer: Mailer, message: EmailMessage) -> str:
    """Send an alert through the configured mailer.

    Args:
        mailer: the transport (`badgeflow.pipeline.Runtime.mailer`).
        message: the alert from `build_alert_email`.

    Returns:
        Its Message-ID.

    Raises:
        DeliveryError: it could not be sent (the caller logs it and moves on).
    """
    return mailer.send(message)
