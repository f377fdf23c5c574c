"""The per-batch page ops read in the Prefect UI: stages, quarantine, credentials, emails.

Plain Markdown built from the ledger and the store; `tasks.batches` publishes it as the
artifact ``batch-<batch id>``. It never shows a learner's email: quarantine reasons and
record ids are shown with anything shaped like an address masked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from badgeflow.pipeline.summary import BatchSummary

__all__ = ["BatchReport", "artifact_key", "mask_emails", "report_link"]

STAGES = ("ingest", "evaluate", "issue", "publish", "notify")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def mask_emails(text: str) -> str:
    """`text` with every email address replaced by ``<email>``."""
    return _EMAIL.sub("<email>", text)


def artifact_key(batch_id: str) -> str:
    """The Prefect artifact key of a batch (lower-case letters, digits and dashes)."""
    slug = re.sub(r"[^a-z0-9-]+", "-", batch_id.lower()).strip("-")
    return f"batch-{slug or 'unnamed'}"


def report_link(reports_dir: str, reports_url: str | None, var_dir: Path) -> str:
    """Where an admin opens the batch's validation report: a URL when one is set, else a path.

    Args:
        reports_dir: the batch's report folder (``<var_dir>/reports/<batch>``), or "".
        reports_url: ``ops.reports_url``, the URL ``<var_dir>/reports`` is served at.
        var_dir: the var folder.
    """
    if not reports_dir:
        return ""
    html = Path(reports_dir) / "validation.html"
    if not reports_url:
        return str(html)
    try:
        relative = html.relative_to(var_dir / "reports").as_posix()
    except ValueError:
        return str(html)
    return f"{reports_url.rstrip('/')}/{relative}"


def _cell(value: object) -> str:
    return mask_emails(str(value)).replace("|", "\\|").replace("\n", " ")


@dataclass
class BatchReport:
    """Everything on a batch's page.

    Attributes:
        summary: the batch summary (final, or partial for a failed batch).
        status: the batch status (``running``, ``failed``, ``succeeded``).
        stages: the ledger's stages (name → status, times, counts).
        quarantine: the first quarantined rows (`badgeflow.store.ledger.quarantine_sample`).
        report_link: `report_link` of the batch.
        credentials_by_achievement: credentials the batch issued, per achievement.
        note: a line on top, e.g. that a re-run found the batch already succeeded.
    """

    summary: BatchSummary
    status: str
    stages: Mapping[str, Any]
    quarantine: Sequence[Mapping[str, Any]] = ()
    report_link: str = ""
    credentials_by_achievement: Mapping[str, int] = field(default_factory=dict)
    note: str = ""

    def markdown(self) -> str:
        """The artifact's Markdown."""
        s = self.summary
        parts = [f"# Batch `{s.batch_id}`: {self.status}\n\nAs of {s.as_of}."]
        if self.note:
            parts.append(f"**{self.note}**")
        parts += [self._stages(), self._quarantine(), self._credentials(), self._emails()]
        parts.append(f"Row counts {'add up' if s.balanced else 'DO NOT add up'}.")
        if s.halted:
            parts.append(f"**HALTED:** {s.halted}")
        return "\n\n".join(p for p in parts if p) + "\n"

    def _stages(self) -> str:
        rows = ["| Stage | Status | Started | Finished | Counts |", "|---|---|---|---|---|"]
        names = [*STAGES, *(n for n in self.stages if n not in STAGES)]
        for name in names:
            entry = self.stages.get(name)
            if entry is None:
                rows.append(f"| {name} | not run | | | |")
                continue
            counts = ", ".join(f"{k} {v}" for k, v in dict(entry.get("counts", {})).items())
            rows.append(
                f"| {name} | {entry.get('status', '')} | {entry.get('started_at', '')} "
                f"| {entry.get('finished_at', '')} | {counts} |"
            )
        return "## Stages\n\n" + "\n".join(rows)

    def _quarantine(self) -> str:
        s = self.summary
        out = [f"## Quarantined rows: {s.rows_quarantined} of {s.rows_read} read"]
        if s.quarantine_reasons:
            out.append(
                "| Reason | Rows |\n|---|---|\n"
                + "\n".join(
                    f"| {_cell(r)} | {n} |" for r, n in list(s.quarantine_reasons.items())[:10]
                )
            )
        if self.quarantine:
            out.append(
                f"First {len(self.quarantine)} rows:\n\n| Source | Record id | Row | Reason |\n"
                "|---|---|---|---|\n"
                + "\n".join(
                    f"| {_cell(q['source'])} | {_cell(q['record_id'])} "
                    f"| {'' if q.get('row') is None else q['row']} | {_cell(q['reason'])} |"
                    for q in self.quarantine
                )
            )
        if self.report_link:
            out.append(f"Validation report: {self._link()}")
        return "\n\n".join(out)

    def _link(self) -> str:
        link = self.report_link
        return f"[{link}]({link})" if "://" in link else f"`{link}`"

    def _credentials(self) -> str:
        s = self.summary
        rows = "\n".join(f"| {a} | {n} |" for a, n in self.credentials_by_achievement.items())
        table = f"\n\n| Achievement | Credentials |\n|---|---|\n{rows}" if rows else ""
        return (
            f"## Credentials issued: {s.credentials_issued}\n\n"
            f"New awards {s.new_awards}, on the site {s.site_credentials}.{table}"
        )

    def _emails(self) -> str:
        s = self.summary
        rows = [
            ("Queued", s.emails_queued),
            ("Sent", s.emails_sent),
            ("Failed (see `badgeflow outbox`)", s.emails_failed),
            ("Held (pilot)", s.emails_held),
            ("Deferred (mail server unreachable)", s.emails_deferred),
            ("Bounced", s.emails_bounced),
        ]
        return "## Emails\n\n| | Count |\n|---|---|\n" + "\n".join(
            f"| {name} | {n} |" for name, n in rows
        )
