"""Fixtures shared by the core's tests."""

from __future__ import annotations

import pytest

from tests.badgeflow.notify.smtp_servers import Servers


@pytest.fixture
def servers():
    """aiosmtpd servers on loopback (`Servers.start`), all stopped after the test."""
    started = Servers()
    yield started
    started.stop()
