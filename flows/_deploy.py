"""``make deploy``: get a Prefect server ready for badgeflow, then register every deployment.

Against the server ``PREFECT_API_URL`` names it

1. creates the process work pool ``badgeflow-process`` unless it exists;
2. creates the global concurrency limit ``badgeflow-smtp`` (SMTP connections across all runs)
   unless it exists: an existing limit keeps the value ops gave it; with ``--source-limits``
   also ``badgeflow-source-<name>`` (1 slot) for every source a deployment in ``prefect.yaml``
   names and every ``--source`` given, so a manual all-sources run waits for a nightly run of
   the same source instead of racing it;
3. stops if a ``{{ prefect.blocks.secret.<name> }}`` template in ``prefect.yaml`` names a Secret
   block that does not exist (``prefect deploy`` would fail half-way), and warns about
   ``prefect-secret:<name>`` references to missing blocks (those are read at run time);
4. runs ``prefect --no-prompt deploy --all`` (or ``--name`` for each name given).

Usage: ``python -m flows._deploy [--smtp-limit N] [--source-limits [--source NAME ...]]
[--name DEPLOYMENT ...] [--no-deploy]``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, WorkPoolCreate
from prefect.exceptions import ObjectNotFound
from prefect.workers.process import ProcessWorker

ROOT = Path(__file__).resolve().parents[1]
WORK_POOL = "badgeflow-process"
RUN_TIME_VARIABLES = ("BADGEFLOW_HOME",)
"""Environment variables prefect.yaml leaves to the worker: never filled in at deploy time."""

SMTP_LIMIT = "badgeflow-smtp"
SOURCE_LIMIT = "badgeflow-source-{}"
"""One batch per source at a time; the nightly flow holds these around a batch."""
_TEMPLATE = re.compile(r"^[^#\n]*\{\{\s*prefect\.blocks\.secret\.([\w-]+)\s*\}\}", re.MULTILINE)
_REFERENCE = re.compile(r"^[^#\n]*prefect-secret:([\w-]+)", re.MULTILINE)


def ensure_work_pool(client: SyncPrefectClient, name: str = WORK_POOL) -> str:
    """Create the process work pool unless it exists; return ``created`` or ``kept``."""
    try:
        pool = client.read_work_pool(name)
    except ObjectNotFound:
        template = ProcessWorker.get_default_base_job_template()
        client.create_work_pool(
            WorkPoolCreate(name=name, type="process", base_job_template=template)
        )
        return "created"
    if pool.type != "process":
        raise SystemExit(
            f"work pool {name!r} exists with type {pool.type!r}; badgeflow needs process"
        )
    return "kept"


def ensure_concurrency_limit(client: SyncPrefectClient, name: str, limit: int) -> str:
    """Create a global concurrency limit unless it exists; return ``created`` or ``kept (N)``."""
    try:
        existing = client.read_global_concurrency_limit_by_name(name)
    except ObjectNotFound:
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=limit))
        return "created"
    return f"kept ({existing.limit})"


def secret_blocks(config_text: str) -> tuple[set[str], set[str]]:
    """Secret block names in ``prefect.yaml`` text: (deploy-time templates, run-time references).

    Commented-out lines are ignored.
    """
    return set(_TEMPLATE.findall(config_text)), set(_REFERENCE.findall(config_text))


def deployed_sources(config_text: str) -> list[str]:
    """The sources the deployments in ``prefect.yaml`` text name in their ``sources`` parameter."""
    config = yaml.safe_load(config_text) or {}
    found: dict[str, None] = {}
    for deployment in config.get("deployments") or []:
        sources = (deployment.get("parameters") or {}).get("sources") or []
        found.update(dict.fromkeys(str(name) for name in sources))
    return list(found)


def missing_blocks(client: SyncPrefectClient, names: set[str]) -> list[str]:
    """The Secret blocks among `names` that do not exist on the server."""
    missing = []
    for name in sorted(names):
        try:
            client.read_block_document_by_name(name, block_type_slug="secret")
        except ObjectNotFound:
            missing.append(name)
    return missing


def main(argv: Sequence[str] | None = None) -> int:
    """Prepare the server and deploy; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m flows._deploy", description=__doc__)
    parser.add_argument(
        "--smtp-limit",
        type=int,
        default=int(os.environ.get("BADGEFLOW_SMTP_LIMIT", "4")),
        help="slots of the badgeflow-smtp limit when it is created: SMTP connections all runs "
        "together may hold (at least mail.smtp_connections; default 4 or $BADGEFLOW_SMTP_LIMIT)",
    )
    parser.add_argument(
        "--source-limits",
        action="store_true",
        help="also create badgeflow-source-<name> (1 slot) for the sources prefect.yaml names "
        "and each --source: one batch per source however it was started",
    )
    parser.add_argument("--source", action="append", default=[], help="with --source-limits")
    parser.add_argument("--name", action="append", help="deploy only these deployments")
    parser.add_argument("--no-deploy", action="store_true", help="prepare the server only")
    args = parser.parse_args(argv)
    config_text = (ROOT / "prefect.yaml").read_text(encoding="utf-8")
    templates, references = secret_blocks(config_text)
    sources = [*deployed_sources(config_text), *args.source] if args.source_limits else []
    with get_client(sync_client=True) as client:
        print(f"work pool {WORK_POOL}: {ensure_work_pool(client)}")
        smtp = ensure_concurrency_limit(client, SMTP_LIMIT, args.smtp_limit)
        print(f"concurrency limit {SMTP_LIMIT}: {smtp}")
        for source in dict.fromkeys(sources):
            name = SOURCE_LIMIT.format(source)
            print(f"concurrency limit {name}: {ensure_concurrency_limit(client, name, 1)}")
        absent = missing_blocks(client, templates)
        unread = missing_blocks(client, references)
    for name in unread:
        print(f"warning: Secret block {name!r} does not exist yet; runs fail until it does")
    if absent:
        print(
            f"error: prefect.yaml's templates name missing Secret block(s) {absent}; create each "
            "(prefect block create secret, or Secret(value=...).save(name)) and run again",
            file=sys.stderr,
        )
        return 2
    if args.no_deploy:
        return 0
    names = [arg for name in args.name or [] for arg in ("--name", name)]
    command = [sys.executable, "-m", "prefect", "--no-prompt", "deploy", *(names or ["--all"])]
    # `prefect deploy` fills in `{{ $VAR }}` from its own environment when VAR is set there. The
    # pull step's BADGEFLOW_HOME must stay a template, read by each flow run on its worker.
    env = {k: v for k, v in os.environ.items() if k not in RUN_TIME_VARIABLES}
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
