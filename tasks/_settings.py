"""Settings and runtime for tasks, built once per process.

Secret settings may name Prefect Secret blocks (``token = "prefect-secret:moodle-token"``);
they are resolved here, on the Prefect side, before any connector or key is opened.
"""

from __future__ import annotations

from functools import lru_cache
from typing import cast

from prefect.blocks.system import Secret

from badgeflow.pipeline import Runtime, runtime_for
from badgeflow.secrets import resolve_secret_references
from badgeflow.settings import Settings


def read_secret_block(name: str) -> str:
    """The text value of the Prefect Secret block `name`."""
    value = cast("Secret[str]", Secret.load(name)).get()
    return value if isinstance(value, str) else str(value)


def resolve_settings(settings: Settings) -> Settings:
    """`settings` with every ``prefect-secret:`` reference read from its Secret block."""
    return resolve_secret_references(settings, read_secret_block)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read settings from the environment and config file (once per process)."""
    return resolve_settings(Settings())


def get_runtime() -> Runtime:
    """The process-wide runtime for the current settings."""
    return runtime_for(get_settings())
