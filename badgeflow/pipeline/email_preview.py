"""Write a batch's emails to files for review (``badgeflow preview``): never send, never record.

For each outbox row of the batch's credentials, ``<folder>/<n>-<kind>-<credential>.html``
shows the headers and the HTML body (in a sandboxed frame, its ``cid:`` images rewritten to
PNG files written beside it), ``.txt`` the headers and the plain-text part, and
``index.html`` lists them all. The outbox is only read. The files name the learners and
their addresses: they stay under ``var/``, which is never published.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from email.message import EmailMessage, Message
from pathlib import Path

from markupsafe import escape
from sqlalchemy import func, select

from badgeflow.errors import ConfigurationError
from badgeflow.pipeline.email_render import render_outbox_email
from badgeflow.pipeline.runtime import Runtime
from badgeflow.store.outbox import OutboxItem, _outbox_item
from badgeflow.store.schema import Award, Batch, Credential, EmailOutbox, Learner

__all__ = ["PreviewResult", "write_preview"]

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_SHOWN_HEADERS = ("Subject", "From", "To", "Reply-To", "Message-ID", "Auto-Submitted")
_PAGE_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;color:#111827}"
    "header{padding:12px 20px;background:#f3f4f6;border-bottom:1px solid #d1d5db}"
    "th{text-align:left;padding:2px 12px 2px 0;vertical-align:top}td{padding:2px 12px 2px 0}"
    "iframe{display:block;width:100%;height:1800px;border:0}"
)


@dataclass(frozen=True)
class PreviewResult:
    """Where a preview was written and how many emails it shows."""

    batch_id: str
    folder: Path
    emails: int

    @property
    def index(self) -> Path:
        """The ``index.html`` listing every email."""
        return self.folder / "index.html"


def write_preview(
    runtime: Runtime,
    *,
    batch_id: str | None = None,
    limit: int | None = None,
    out_dir: Path | None = None,
) -> PreviewResult:
    """Render a batch's queued emails (any state) to files; the outbox is left unchanged.

    Args:
        runtime: resources built from settings.
        batch_id: the batch; None for the latest batch that queued emails.
        limit: at most this many emails (oldest first); None for all.
        out_dir: parent folder; default ``<var_dir>/preview``. The batch's subfolder is
            replaced.

    Returns:
        The folder and the number of emails written.

    Raises:
        ConfigurationError: the batch id is malformed or unknown, or no batch has emails.
    """
    with runtime.sessions() as session:
        if batch_id is None:
            batch_id = session.scalar(
                select(Batch.id)
                .join(Credential, Credential.batch_id == Batch.id)
                .join(EmailOutbox, EmailOutbox.credential_id == Credential.id)
                .group_by(Batch.id)
                .order_by(func.max(Batch.started_at).desc())
                .limit(1)
            )
            if batch_id is None:
                raise ConfigurationError("no batch has queued any email yet")
        if not _SAFE_ID.match(batch_id):
            raise ConfigurationError(f"malformed batch id {batch_id!r}")
        if session.get(Batch, batch_id) is None:
            raise ConfigurationError(f"no batch {batch_id!r} (see `badgeflow batches`)")
        query = (
            select(EmailOutbox, Credential, Award, Learner)
            .join(Credential, EmailOutbox.credential_id == Credential.id)
            .join(Award, Credential.award_id == Award.id)
            .join(Learner, Award.learner_id == Learner.id)
            .where(Credential.batch_id == batch_id)
            .order_by(EmailOutbox.id)
            .limit(limit)
        )
        # The sender's own row-to-item mapping, so the preview renders exactly what it sends.
        rows = [(o.status, _outbox_item(o, c, a, p)) for o, c, a, p in session.execute(query)]
    folder = (out_dir or runtime.settings.var_dir / "preview") / batch_id
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    listed = [_write_one(runtime, folder, n, *row) for n, row in enumerate(rows, 1)]
    (folder / "index.html").write_text(_index(batch_id, listed), encoding="utf-8")
    return PreviewResult(batch_id=batch_id, folder=folder, emails=len(rows))


def _write_one(
    runtime: Runtime, folder: Path, n: int, status: str, item: OutboxItem
) -> tuple[str, str, str, str]:
    message = render_outbox_email(runtime, item)
    stem = f"{n:03d}-{item.kind}-{item.credential_id}"
    html_part = message.get_body(("html",))
    html = str(html_part.get_content()) if html_part is not None else ""
    for part in message.walk():
        cid = str(part.get("Content-ID", "")).strip("<>")
        if cid and isinstance(part, EmailMessage):
            name = re.sub(r"[^A-Za-z0-9.-]", "_", cid.split("@")[0]) + ".png"
            (folder / name).write_bytes(part.get_content())
            html = html.replace(f'src="cid:{cid}"', f'src="{name}"')
    head = _header_rows(message)
    text_part = message.get_body(("plain",))
    text = str(text_part.get_content()) if text_part is not None else ""
    plain_head = "".join(f"{name}: {value}\n" for name, value in head)
    (folder / f"{stem}.txt").write_text(f"{plain_head}\n{text}", encoding="utf-8")
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in head)
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="robots" content="noindex"><title>{escape(str(message["Subject"]))}</title>'
        f"<style>{_PAGE_STYLE}</style></head><body><header><table>{rows}</table>"
        f'<p><a href="index.html">All emails</a> &middot; <a href="{stem}.txt">Plain text</a>'
        "</p></header>"
        # Sandboxed: no scripts, forms or navigation in the email body (it is shown, not trusted);
        # same-origin only so its images load from the files beside the page.
        '<iframe title="HTML body" sandbox="allow-same-origin" '
        f'srcdoc="{escape(html)}"></iframe></body></html>\n'
    )
    (folder / f"{stem}.html").write_text(page, encoding="utf-8")
    return stem, item.kind, status, str(message["Subject"])


def _header_rows(message: Message) -> list[tuple[str, str]]:
    rows = [(name, str(message[name])) for name in _SHOWN_HEADERS if message[name] is not None]
    attached = [
        f"{part.get_filename()} ({len(part.get_payload(decode=True) or b'')} bytes)"
        for part in message.walk()
        if part.get_content_disposition() == "attachment"
    ]
    if attached:
        rows.append(("Attachments", ", ".join(attached)))
    return rows


def _index(batch_id: str, listed: list[tuple[str, str, str, str]]) -> str:
    rows = "".join(
        f'<tr><td><a href="{stem}.html">{escape(subject)}</a></td><td>{escape(kind)}</td>'
        f'<td>{escape(status)}</td><td><a href="{stem}.txt">text</a></td></tr>'
        for stem, kind, status, subject in listed
    )
    body = (
        f"<table><tr><th>Subject</th><th>Kind</th><th>Outbox</th><th></th></tr>{rows}</table>"
        if listed
        else "<p>This batch queued no email.</p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="robots" content="noindex"><title>Emails of batch {escape(batch_id)}</title>'
        f"<style>{_PAGE_STYLE}</style></head><body><header><h1>Emails of batch "
        f"{escape(batch_id)}</h1><p>{len(listed)} email(s), rendered for review; nothing was "
        f"sent.</p></header>{body}</body></html>\n"
    )
