"""One nightly batch, stage by stage, resumable from the ledger (used by nightly-issuance).

Every stage that succeeded in an earlier run of the batch is skipped ("stage X already done
at ..."); the failed one runs again, and each stage is idempotent on its own (credentials
are keyed by award key, emails by credential and kind, completions by source and record),
so a crash anywhere inside a stage is safe too. The ledger keeps what a resumed run needs:
each source's ingest result (with the watermark committed only once the batch succeeds),
the summary as of the last finished stage, and the email counts so far.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from prefect import get_run_logger

from badgeflow.credentials.pool import shutdown_pools
from badgeflow.errors import BatchHalted
from badgeflow.pipeline import BatchSummary, IngestResult
from badgeflow.pipeline._send_procs import shutdown_send_pools
from badgeflow.store.ledger import BatchClaim
from tasks import awards, batches, contracts, credentials, lms, notify, site
from tasks._settings import get_settings

T = TypeVar("T")
EMAIL_COUNTS = ("queued", "sent", "failed", "held", "deferred")


@dataclass(frozen=True)
class BatchParameters:
    """The parameters a batch runs with, recorded in the ledger by its first run."""

    as_of: datetime
    sources: list[str]
    full_resync: bool = False
    accept_contract_breach: bool = False
    full_site_rebuild: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the ledger."""
        return {**asdict(self), "as_of": self.as_of.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchParameters:
        """Read the ledger's copy back."""
        as_of = data["as_of"]
        return cls(
            as_of=datetime.fromisoformat(as_of) if isinstance(as_of, str) else as_of,
            sources=list(data["sources"]),
            full_resync=bool(data.get("full_resync")),
            accept_contract_breach=bool(data.get("accept_contract_breach")),
            full_site_rebuild=bool(data.get("full_site_rebuild")),
        )


def _ingest_to_json(result: IngestResult) -> dict[str, Any]:
    data = asdict(result)
    data["watermark"] = result.watermark.isoformat() if result.watermark else None
    return data


def _ingest_from_json(data: dict[str, Any]) -> IngestResult:
    mark = data.get("watermark")
    return IngestResult(**{**data, "watermark": datetime.fromisoformat(mark) if mark else None})


def _chunks(items: Sequence[T], size: int) -> Iterator[tuple[int, list[T]]]:
    for start in range(0, len(items), size):
        part = list(items[start : start + size])
        yield start + len(part), part


class BatchRun:
    """The stages of one batch for one flow run (resuming what the ledger says is left)."""

    def __init__(self, batch_id: str, params: BatchParameters, claim: BatchClaim) -> None:
        self.batch_id, self.params, self.claim = batch_id, params, claim
        self.logger = get_run_logger()
        stored = claim.progress.get("summary")
        self.summary = (
            BatchSummary.from_dict(stored)
            if stored
            else BatchSummary(batch_id=batch_id, as_of=params.as_of.isoformat())
        )
        self.ingested = {
            name: _ingest_from_json(data)
            for name, data in dict(claim.progress.get("ingested") or {}).items()
        }

    def run(self) -> dict[str, Any]:
        """Run what is left; mark the batch failed (and report it) if anything raises."""
        try:
            for stage in ("ingest", "evaluate", "issue", "publish", "notify"):
                # A batch recorded before the ledger (0011) kept no resume data: every stage
                # runs again (each is idempotent).
                done = self.claim.stage_done(stage) if self.claim.progress else None
                if done:
                    self.logger.info("stage %s already done at %s: skipped", stage, done)
                    continue
                started = datetime.now(UTC)
                counts = getattr(self, f"_{stage}")()
                batches.record_stage(
                    self.batch_id,
                    stage,
                    "succeeded",
                    started,
                    counts,
                    {"summary": self.summary.as_dict()},
                )
            # Only now: a batch that failed anywhere above re-reads its sources' rows.
            lms.commit_source_watermarks([self.ingested[n] for n in self.params.sources])
        except BaseException:
            result = self.summary.as_dict()
            batches.finish_batch(self.batch_id, "failed", result)
            try:
                batches.publish_report(self.batch_id, result, "The batch FAILED: see the logs.")
            except Exception:  # the report must never hide the failure itself
                self.logger.exception("could not publish the failed batch's report")
            raise
        result = self.summary.as_dict()
        batches.finish_batch(self.batch_id, "succeeded", result)
        batches.publish_report(self.batch_id, result)
        for line in self.summary.lines():
            self.logger.info(line)
        return result

    def _ingest(self) -> dict[str, int]:
        s, p = self.summary, self.params
        for name in p.sources:
            if name in self.ingested:
                self.logger.info("source %s already read by this batch: not read again", name)
                continue
            result = lms.ingest(
                name, self.batch_id, p.as_of, p.full_resync, p.accept_contract_breach
            )
            self.ingested[name] = result
            batches.save_progress(self.batch_id, {"ingested": self._ingested_json()})
        s.rows_read = s.rows_quarantined = 0
        s.quarantine_reasons, s.rows_by_source, s.contracts = {}, {}, {}
        for name in p.sources:
            result = self.ingested[name]
            s.rows_read += result.rows_read
            s.rows_by_source[name] = result.rows_read
            s.rows_quarantined += result.quarantined
            s.add_quarantine_reasons(result.quarantine_reasons)
            s.contracts[name] = result.contract
        reports = contracts.write_reports(self.batch_id, s.as_dict())
        s.reports_dir = reports["dir"]
        s.halted = contracts.check_batch_rules(self.batch_id, s.contracts, reports)
        counts = {"rows_read": s.rows_read, "quarantined": s.rows_quarantined}
        if s.halted:
            # A halted batch is re-read in full when it is run again (fixed, or overridden).
            batches.record_stage(
                self.batch_id, "ingest", "halted", datetime.now(UTC), counts, {"ingested": {}}
            )
            raise BatchHalted(s.halted)
        return counts

    def _ingested_json(self) -> dict[str, Any]:
        return {name: _ingest_to_json(result) for name, result in self.ingested.items()}

    def _evaluate(self) -> dict[str, int]:
        s = self.summary
        evaluated = awards.evaluate(self.batch_id, self.params.as_of)
        s.rows_awarded = evaluated.rows_awarded
        s.rows_not_yet_eligible = evaluated.rows_not_yet_eligible
        s.pathway_tiers = evaluated.pathway_tiers
        s.status_changes = evaluated.status_changes
        # From the store, not this run's result: exact even if a crashed run committed them.
        by_achievement, _ = batches.batch_counts(self.batch_id)
        s.awards_by_achievement = by_achievement
        s.new_awards = sum(by_achievement.values())
        return {"new_awards": s.new_awards}

    def _issue(self) -> dict[str, int]:
        pending = awards.list_pending_awards()
        issued_at = datetime.now(UTC).replace(microsecond=0)
        try:
            for done, ids in _chunks(pending, get_settings().issuance.chunk_size):
                credentials.issue_chunk(
                    ids, self.batch_id, issued_at, first_id=ids[0], count=len(ids)
                )
                self.logger.info("issued %d/%d credentials", done, len(pending))
        finally:
            # The signing workers' memory is given back before publish starts its own pool.
            shutdown_pools()
        _, issued = batches.batch_counts(self.batch_id)  # every run of the batch, once each
        self.summary.credentials_issued = sum(issued.values())
        return {"credentials": self.summary.credentials_issued}

    def _publish(self) -> dict[str, int]:
        # Before notifying: the links in the emails (and the keys in did.json) must be live.
        s = self.summary
        report = site.publish(self.params.as_of, self.params.full_site_rebuild)
        s.site_dir = str(report.output_dir)
        s.site_credentials = report.credentials_published
        s.site_files_changed = report.files_changed
        s.site_files_unchanged = report.files_unchanged
        s.site_files_deleted = report.files_deleted
        return {"credentials": report.credentials_published}

    def _notify(self) -> dict[str, int]:
        s, started = self.summary, datetime.now(UTC)
        sofar: dict[str, int] = dict(self.claim.progress.get("notify") or {})
        if sofar:
            self.logger.info("notify resumes: %s", ", ".join(f"{k} {v}" for k, v in sofar.items()))
        if get_settings().mail.bounce_mailbox is not None and "bounced" not in sofar:
            sofar["bounced"] = notify.read_bounces(started).hard
        queued = notify.queue_emails(started)
        sofar.setdefault("queued", len(queued))
        try:
            for done, ids in _chunks(queued, get_settings().issuance.chunk_size):
                sent = notify.send_chunk(ids, datetime.now(UTC), first_id=ids[0], count=len(ids))
                for key in EMAIL_COUNTS[1:]:
                    sofar[key] = sofar.get(key, 0) + int(getattr(sent, key))
                batches.save_progress(self.batch_id, {"notify": sofar})
                self.logger.info("sent %d/%d emails", done, len(queued))
        finally:
            shutdown_send_pools()  # the send workers (mail.send_processes) end with the stage
        s.emails_queued = sofar["queued"]
        s.emails_sent, s.emails_failed = sofar.get("sent", 0), sofar.get("failed", 0)
        s.emails_held, s.emails_deferred = sofar.get("held", 0), sofar.get("deferred", 0)
        s.emails_bounced = sofar.get("bounced", 0)
        return {
            "sent": s.emails_sent,
            "failed": s.emails_failed,
            "held": s.emails_held,
            "bounced": s.emails_bounced,
        }
