"""Prefect flows: entrypoints that compose tasks (``flows/<name>.py:<name>``)."""

import os

from badgeflow.runtime_env import apply_offline_defaults

apply_offline_defaults(os.environ)
