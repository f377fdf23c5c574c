"""The engagement-metrics flow: access logs and mail events in, metrics tables and a dashboard out.

Scheduled hourly (``prefect.yaml``). It reads only its own sources and writes only the
engagement and metrics tables, so it can run while a nightly batch runs; the read positions are
saved with compare-and-set, so even two overlapping runs never count a line twice.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence

from prefect import flow, get_run_logger

from tasks import engagement
from tasks.alerts import alert_ops


@flow(name="engagement-metrics", log_prints=False, on_failure=[alert_ops], on_crashed=[alert_ops])
def engagement_metrics(
    full_rebuild: bool = False,
    write_dashboard: bool = True,
    export_dir: str | None = None,
) -> dict[str, object]:
    """Poll every engagement source, rebuild the metrics and publish them.

    Args:
        full_rebuild: recompute every credential's facts, not only the ones with news (after a
            catalog change moved achievements between courses or pathways, say).
        write_dashboard: write the static dashboard (`engagement.dashboard_dir`).
        export_dir: also export every metrics view as CSV and Parquet into this folder.
    """
    logger = get_run_logger()
    summary: dict[str, object] = {
        "access_logs": engagement.poll_logs(),
        "mail_events": engagement.poll_mail(),
        "metrics": engagement.rebuild(full_rebuild),
    }
    engagement.publish_artifacts()
    if write_dashboard:
        summary["dashboard"] = engagement.dashboard()
    if export_dir:
        summary["exports"] = engagement.export(export_dir)
    logger.info("engagement metrics: %s", json.dumps(summary["metrics"], default=str))
    return summary


def main(
    argv: Sequence[str] | None = None, run: Callable[..., object] = engagement_metrics
) -> None:
    """Run the flow once in this process (Prefect's ephemeral API unless one is configured)."""
    parser = argparse.ArgumentParser(prog="python -m flows.engagement_metrics")
    parser.add_argument("--full-rebuild", action="store_true")
    parser.add_argument("--no-dashboard", action="store_true")
    parser.add_argument("--export-dir")
    parser.add_argument("--summary-json", help="write the summary to this file")
    args = parser.parse_args(argv)
    result = run(
        full_rebuild=args.full_rebuild,
        write_dashboard=not args.no_dashboard,
        export_dir=args.export_dir,
    )
    if args.summary_json:
        with open(args.summary_json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=2, default=str)


if __name__ == "__main__":
    main()
