"""Run a recorded batch again from the stage that failed, with its recorded parameters."""

from __future__ import annotations

from datetime import datetime

from prefect import flow, get_run_logger

from flows.nightly_issuance import nightly_issuance
from tasks.batches import read_batch


@flow(name="rerun-batch", flow_run_name="rerun batch {batch_id}", log_prints=False)
def rerun_batch(batch_id: str) -> dict[str, object]:
    """Re-run one batch of the ledger (``badgeflow batches`` lists them).

    The batch's recorded parameters (as of, sources, full resync, overrides) are read from
    the ledger and the nightly-issuance flow runs for it as a subflow: stages that succeeded
    are skipped, the failed one resumes, and a batch that already succeeded does nothing and
    returns its stored summary. A batch still being run by another live flow run is refused.

    Args:
        batch_id: the batch to run again (the failed nightly run's ``batch_id``, by default
            its flow run id).
    """
    recorded = read_batch(batch_id)
    get_run_logger().info(
        "batch %s is %s in the ledger; running it again with its recorded parameters",
        batch_id,
        recorded["status"],
    )
    parameters = recorded["parameters"]
    return nightly_issuance(
        as_of=datetime.fromisoformat(str(parameters["as_of"])) if parameters.get("as_of") else None,
        sources=parameters.get("sources"),
        full_resync=bool(parameters.get("full_resync")),
        batch_id=batch_id,
        accept_contract_breach=bool(parameters.get("accept_contract_breach")),
        full_site_rebuild=bool(parameters.get("full_site_rebuild")),
    )
