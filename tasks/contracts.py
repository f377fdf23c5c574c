"""Batch-level contract rules and the per-batch validation reports, on the Prefect side."""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from badgeflow.contracts_batch import halt_message
from badgeflow.reports import build_batch_reports
from tasks._settings import get_runtime


@task(name="write-contract-reports", cache_policy=NO_CACHE)
def write_reports(batch_id: str, summary: dict[str, Any]) -> dict[str, str]:
    """Write the batch's quarantine.csv and validation.html under the var folder."""
    runtime = get_runtime()
    paths = build_batch_reports(
        runtime.sessions,
        runtime.settings.var_dir,
        batch_id,
        max_rows=runtime.settings.contracts.report_rows,
        summary=summary,
    )
    return {
        "dir": str(paths.directory),
        "csv": str(paths.quarantine_csv),
        "html": str(paths.validation_html),
    }


@task(name="check-contract-rules", cache_policy=NO_CACHE)
def check_batch_rules(batch_id: str, sections: dict[str, Any], reports: dict[str, str]) -> str:
    """Return the halt message ("" to go on); publish it, or an accepted breach, as an artifact."""
    logger = get_run_logger()
    halted = halt_message(sections)
    accepted = {n: s for n, s in sections.items() if s.get("breach_accepted")}
    for name, section in accepted.items():
        logger.warning("CONTRACT BREACH ACCEPTED BY OVERRIDE (%s): %s", name, section["message"])
    if not halted and not accepted:
        return ""
    title = "Batch halted" if halted else "Contract breach accepted by override"
    text = halted or " ".join(str(s["message"]) for s in accepted.values())
    create_markdown_artifact(
        key="contract-halt" if halted else "contract-breach-accepted",
        markdown=(
            f"# {title}\n\nBatch `{batch_id}`.\n\n{text}\n\n"
            f"- Validation report: `{reports['html']}`\n- Quarantined rows: `{reports['csv']}`\n"
            + (
                "\nTo proceed on this data after checking it, re-run the batch with "
                f"`badgeflow run --batch-id {batch_id} --accept-contract-breach` (flow "
                "parameter `accept_contract_breach`).\n"
                if halted
                else ""
            )
        ),
        description=f"{title}: {batch_id}",
    )
    if halted:
        logger.error("%s (report: %s)", halted, reports["html"])
    return halted
