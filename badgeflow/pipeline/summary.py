"""The batch summary: what ops read in the terminal, the Prefect artifact and the database."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = ["BatchSummary"]


@dataclass
class BatchSummary:
    """Counts of one batch. Every row read ends in exactly one bucket.

    ``rows_read == rows_quarantined + rows_awarded + rows_not_yet_eligible``.
    """

    batch_id: str
    as_of: str
    rows_read: int = 0
    rows_quarantined: int = 0
    rows_awarded: int = 0
    rows_not_yet_eligible: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    rows_by_source: dict[str, int] = field(default_factory=dict)
    new_awards: int = 0
    awards_by_achievement: dict[str, int] = field(default_factory=dict)
    credentials_issued: int = 0
    emails_queued: int = 0
    emails_sent: int = 0
    emails_failed: int = 0
    site_dir: str = ""
    site_credentials: int = 0
    contracts: dict[str, dict[str, Any]] = field(default_factory=dict)
    halted: str = ""
    reports_dir: str = ""
    pathway_tiers: dict[str, dict[str, int]] = field(default_factory=dict)
    """Pathway → tier → learners holding it (the whole store, at the batch clock)."""
    status_changes: int = 0
    """Pathway tiers suspended or reinstated because a badge they require expired or returned."""
    emails_held: int = 0
    """Held back by pilot mode (``mail.pilot_*``); sent once the pilot lists are cleared."""
    emails_bounced: int = 0
    """Emails newly marked bounced by this run's read of the bounce mailbox."""
    emails_deferred: int = 0
    """Left queued because the mail server could not be reached."""
    site_files_changed: int = 0
    """Site files written by the publish stage (new or changed; all of them on a full rebuild)."""
    site_files_unchanged: int = 0
    site_files_deleted: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchSummary:
        """Rebuild a summary from `as_dict` output (a resumed batch's stored partial summary).

        Keys this version does not know (and the derived ``balanced``) are ignored.
        """
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def add_quarantine_reasons(self, reasons: dict[str, int]) -> None:
        """Merge one source's quarantine reason counts."""
        merged = Counter(self.quarantine_reasons)
        merged.update(reasons)
        self.quarantine_reasons = dict(merged.most_common())

    @property
    def balanced(self) -> bool:
        """True when every row read is accounted for."""
        return self.rows_read == (
            self.rows_quarantined + self.rows_awarded + self.rows_not_yet_eligible
        )

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (stored on the batch row)."""
        return {**asdict(self), "balanced": self.balanced}

    def lines(self) -> list[str]:
        """Plain-text lines, for the terminal."""
        out = [
            f"batch {self.batch_id} (as of {self.as_of})",
            f"  rows read            {self.rows_read:>7}"
            + (f"  ({_pairs(self.rows_by_source)})" if self.rows_by_source else ""),
            f"  quarantined          {self.rows_quarantined:>7}",
        ]
        out += [f"    - {reason}: {n}" for reason, n in self.quarantine_reasons.items()]
        out += [
            f"  earned an award      {self.rows_awarded:>7}",
            f"  not yet eligible     {self.rows_not_yet_eligible:>7}",
            f"  new awards           {self.new_awards:>7}"
            + (f"  ({_pairs(self.awards_by_achievement)})" if self.awards_by_achievement else ""),
            f"  credentials issued   {self.credentials_issued:>7}",
        ]
        if self.status_changes:
            out.append(f"  tiers suspended or reinstated {self.status_changes:>7}")
        out += [
            f"  emails written       {self.emails_sent:>7}"
            + (f"  ({self.emails_failed} failed: badgeflow outbox)" if self.emails_failed else ""),
            f"  site                 {self.site_dir} ({self.site_credentials} credentials)",
        ]
        if self.emails_held:
            out.append(f"  emails held (pilot)  {self.emails_held:>7}")
        if self.emails_bounced:
            out.append(f"  emails bounced       {self.emails_bounced:>7}")
        if self.emails_deferred:
            out.append(
                f"  emails deferred      {self.emails_deferred:>7}  (mail server unreachable)"
            )
        if self.site_files_changed or self.site_files_unchanged or self.site_files_deleted:
            out.append(
                f"  site files           {self.site_files_changed:>7} written, "
                f"{self.site_files_unchanged} unchanged, {self.site_files_deleted} deleted"
            )
        if self.reports_dir:
            out.append(f"  contract reports     {self.reports_dir}")
        if self.halted:
            out.append(f"  HALTED: {self.halted}")
        for pathway, tiers in self.pathway_tiers.items():
            out.append(f"  pathway {pathway}: " + ", ".join(f"{t} {n}" for t, n in tiers.items()))
        if not self.balanced:
            out.append("  WARNING: row counts do not add up; see the batch's stored summary")
        return out

    def markdown(self) -> str:
        """Markdown, for the Prefect artifact."""
        rows = [
            ("Rows read", self.rows_read),
            ("Quarantined", self.rows_quarantined),
            ("Earned an award", self.rows_awarded),
            ("Not yet eligible", self.rows_not_yet_eligible),
            ("New awards", self.new_awards),
            ("Credentials issued", self.credentials_issued),
            ("Tiers suspended or reinstated", self.status_changes),
            ("Emails sent", self.emails_sent),
            ("Emails failed", self.emails_failed),
            ("Credentials on the site", self.site_credentials),
            ("Emails held (pilot)", self.emails_held),
            ("Emails bounced", self.emails_bounced),
            ("Emails deferred (server unreachable)", self.emails_deferred),
            ("Site files written", self.site_files_changed),
            ("Site files unchanged", self.site_files_unchanged),
            ("Site files deleted", self.site_files_deleted),
        ]
        table = "\n".join(f"| {name} | {value} |" for name, value in rows)
        reasons = "\n".join(f"- {r}: {n}" for r, n in self.quarantine_reasons.items()) or "- none"
        return (
            f"# Batch `{self.batch_id}`\n\nAs of {self.as_of}.\n\n| Stage | Count |\n|---|---|\n"
            f"{table}\n\n## Quarantine reasons\n\n{reasons}\n\n"
            f"Row counts {'add up' if self.balanced else 'DO NOT add up'}.\n"
            + (f"\nContract reports: `{self.reports_dir}`\n" if self.reports_dir else "")
            + (f"\n**HALTED:** {self.halted}\n" if self.halted else "")
        ) + _tiers_markdown(self.pathway_tiers)


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in counts.items())


def _tiers_markdown(report: dict[str, dict[str, int]]) -> str:
    if not report:
        return ""
    rows = "".join(
        f"| {pathway} | {n} | {tier} | {holders} |\n"
        for pathway, tiers in report.items()
        for n, (tier, holders) in enumerate(tiers.items(), start=1)
    )
    header = "| Pathway | Tier | Achievement | Learners |\n|---|---|---|---|\n"
    return f"\n## Pathway tiers\n\n{header}{rows}"
