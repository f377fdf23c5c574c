"""Settings and runtime for tasks, built once per process."""

from __future__ import annotations

from functools import lru_cache

from badgeflow.pipeline import Runtime, runtime_for
from badgeflow.settings import Settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read settings from the environment and config file (once per process)."""
    return Settings()


def get_runtime() -> Runtime:
    """The process-wide runtime for the current settings."""
    return runtime_for(get_settings())
