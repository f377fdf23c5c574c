"""Environment defaults that keep Prefect and great-expectations quiet and offline.

They must be in `os.environ` before either library is imported, so the edges (``flows/``,
``tasks/``, the CLI, tests) apply them first thing. Values already set by the operator win.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Final

__all__ = ["OFFLINE_DEFAULTS", "apply_offline_defaults"]

OFFLINE_DEFAULTS: Final[dict[str, str]] = {
    # No telemetry from the Prefect client (DO_NOT_TRACK) or its server.
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # great-expectations usage statistics off.
    "GX_ANALYTICS_ENABLED": "false",
    # A cold ephemeral Prefect server on 2 cores needs more than the default 20 s.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    # Send badgeflow's own log records to the Prefect run logs and UI.
    "PREFECT_LOGGING_EXTRA_LOGGERS": "badgeflow",
    # ... but outside a flow run (the CLI's revoke, verify, intake; core code under a loaded
    # Prefect) those records stay local instead of warning that no run is there to take them.
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}


def apply_offline_defaults(
    environ: MutableMapping[str, str], *, prefect_home: Path | None = None
) -> None:
    """Set every default the operator has not set already.

    Args:
        environ: the environment to update, usually `os.environ`.
        prefect_home: when given and ``PREFECT_HOME`` is unset, keep Prefect's local state
            (its ephemeral database and profiles) there instead of ``~/.prefect``.
    """
    for name, value in OFFLINE_DEFAULTS.items():
        environ.setdefault(name, value)
    if prefect_home is not None:
        environ.setdefault("PREFECT_HOME", str(prefect_home.resolve()))
