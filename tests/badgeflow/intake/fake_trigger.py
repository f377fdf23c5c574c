"""Stands in for flows/intake_trigger.py (which needs a Prefect API) in the CLI wiring test."""

from __future__ import annotations

from collections.abc import Callable

STARTED: list[tuple[str, str]] = []


def deployment_starter(deployment: str) -> Callable[[str], None]:
    return lambda source: STARTED.append((deployment, source))
