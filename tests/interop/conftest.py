"""Interop tests need the Node harness in interop/ installed once per session."""

from __future__ import annotations

import pytest

from tests.interop.digitalbazaar import NodeHarnessError, ensure_node_modules


@pytest.fixture(scope="session", autouse=True)
def interop_node_modules() -> None:
    """Run ``npm install`` in interop/ if needed; fail (never skip) without npm."""
    try:
        ensure_node_modules()
    except NodeHarnessError as exc:
        pytest.fail(str(exc))
