"""Demo data shipped with the package: Moodle, Canvas and TalentLMS datasets and an LMS export.

``moodle.json`` is what the demo's `badgeflow.fakelms.FakeMoodle` serves (read it with
``final_assessment="final-exam"``); ``canvas.json`` what its `badgeflow.fakelms.canvas.FakeCanvas`
serves (``final_assessment="Final exam"``); ``talentlms.json`` what its
`badgeflow.fakelms.talentlms.FakeTalentLMS` serves (``final_assessment="Final test"``; one
learner is also in the Moodle data, her email in other letter case); ``completions.csv`` is
an export in the canonical CSV layout from another LMS, with a few deliberately bad rows for
the data contract to catch. ``cohorts.csv`` and ``attestations.csv`` are the demo's fact files
(`badgeflow.facts`): cohort membership and managers' sign-offs.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = [
    "demo_attestations_path",
    "demo_canvas_path",
    "demo_cohorts_path",
    "demo_csv_path",
    "demo_dataset_path",
    "demo_talentlms_path",
]


def _path(name: str) -> Path:
    resource = files(__name__) / name
    # Wheels are installed unpacked, so package data is a real file on disk.
    path = Path(str(resource))
    if not path.is_file():
        raise FileNotFoundError(f"demo data {name!r} is missing from the badgeflow package")
    return path


def demo_dataset_path() -> Path:
    """The Moodle dataset the demo's fake Moodle serves.

    Returns:
        Path of ``badgeflow/demo/moodle.json``.
    """
    return _path("moodle.json")


def demo_csv_path() -> Path:
    """The partner LMS export used by the demo.

    Returns:
        Path of ``badgeflow/demo/completions.csv``.
    """
    return _path("completions.csv")


def demo_canvas_path() -> Path:
    """The Canvas dataset the demo's fake Canvas serves.

    Returns:
        Path of ``badgeflow/demo/canvas.json``.
    """
    return _path("canvas.json")


def demo_talentlms_path() -> Path:
    """The TalentLMS dataset the demo's fake TalentLMS serves.

    Returns:
        Path of ``badgeflow/demo/talentlms.json``.
    """
    return _path("talentlms.json")


def demo_cohorts_path() -> Path:
    """The demo's cohort file (`badgeflow.facts`).

    Returns:
        Path of ``badgeflow/demo/cohorts.csv``.
    """
    return _path("cohorts.csv")


def demo_attestations_path() -> Path:
    """The demo's attestation file (managers' sign-offs, `badgeflow.facts`).

    Returns:
        Path of ``badgeflow/demo/attestations.csv``.
    """
    return _path("attestations.csv")
