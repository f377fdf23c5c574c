"""Prefect tasks: thin wrappers that build resources from settings and call one core function."""

import os

from badgeflow.runtime_env import apply_offline_defaults

apply_offline_defaults(os.environ)
