"""Session-wide test setup: quiet, offline Prefect and GX; shared helpers."""

from __future__ import annotations

import os

# Before anything imports prefect or great_expectations.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
