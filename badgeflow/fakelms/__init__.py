"""Fake LMS servers speaking real wire formats on loopback, for tests and the demo."""

from __future__ import annotations

from badgeflow.fakelms.moodle import FakeMoodle
from badgeflow.fakelms.moodle_dataset import MoodleDataset

__all__ = ["FakeMoodle", "MoodleDataset"]
