"""The data a fake Cornerstone serves: rows of its Reporting API views, by their real names.

A dataset is a JSON file with one list per view; field names are the views' own, times are
served as written (ISO 8601; Cornerstone sometimes leaves out the ``Z``)::

    {
      "users": [{"user_id": 33417, "user_ref": "E-1001", "user_name_first": "Amelia",
                 "user_name_last": "Hart", "user_email": "Amelia.Hart@example.com"}],
      "trainings": [{"lo_object_id": "6f1c0a52-...", "lo_title": "Data Foundations",
                     "lo_object_type": "Online Course"}],
      "transcripts": [{"transc_user_id": 33417, "transc_object_id": "6f1c0a52-...",
                       "reg_num": 1, "user_lo_status_group_id": 11, "user_lo_score": 82.5,
                       "user_lo_comp_dt": "2026-09-14T10:00:00Z",
                       "user_lo_last_modified_dt": "2026-09-14T10:00:05Z"}]
    }

Every field the fake serves for a view has a default, so fixtures name only what matters.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = ["CornerstoneDataset", "FakeCsodTraining", "FakeCsodTranscript", "FakeCsodUser"]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def row(self) -> dict[str, Any]:
        """The row as the view serves it."""
        return self.model_dump()


class FakeCsodUser(_Row):
    """A row of ``vw_rpt_user``."""

    user_id: int
    user_ref: str | None = None
    user_name_first: str = ""
    user_name_last: str = ""
    user_email: str | None = None
    user_status_id: int = 1


class FakeCsodTraining(_Row):
    """A row of ``vw_rpt_training`` (a learning object, addressed by its GUID)."""

    lo_object_id: str
    lo_title: str
    lo_object_type: str = "Online Course"
    lo_hours: float | None = None
    lo_active: bool = True


class FakeCsodTranscript(_Row):
    """A row of ``vw_rpt_transcript``: one registration of a user to a learning object."""

    transc_user_id: int
    transc_object_id: str
    reg_num: int = 1
    user_lo_status_id: int | None = None
    user_lo_status_group_id: int = 12
    user_lo_score: float | None = None
    user_lo_pass: bool | None = None
    user_lo_comp_dt: str | None = None
    user_lo_start_dt: str | None = None
    user_lo_reg_dt: str | None = None
    user_lo_assigned_dt: str | None = None
    user_lo_last_modified_dt: str | None = None
    user_lo_pct_complete: float | None = None
    user_lo_minutes_participated: int | None = None
    user_lo_num_attempts: int | None = None
    is_removed: bool = False
    is_archive: int = 0
    is_latest_reg_num: bool = True
    is_standalone: bool = True


class CornerstoneDataset(BaseModel):
    """Everything a `FakeCornerstone` serves."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    users: list[FakeCsodUser] = Field(default_factory=list)
    trainings: list[FakeCsodTraining] = Field(default_factory=list)
    transcripts: list[FakeCsodTranscript] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> CornerstoneDataset:
        users = {u.user_id for u in self.users}
        trainings = {t.lo_object_id.lower() for t in self.trainings}
        for t in self.transcripts:
            if t.transc_user_id not in users or t.transc_object_id.lower() not in trainings:
                raise ValueError(
                    f"transcript {t.transc_user_id}:{t.transc_object_id}:{t.reg_num} names "
                    "an unknown user or training"
                )
        return self

    @classmethod
    def load(cls, path: Path) -> CornerstoneDataset:
        """Read a dataset file.

        Raises:
            ValueError: the file is not a valid dataset (the message names the problem).
        """
        try:
            return cls.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
        except (ValidationError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a Cornerstone dataset: {exc}") from exc

    def views(self) -> dict[str, tuple[list[str], list[dict[str, Any]]]]:
        """Each served view: its property names and its rows, in a stable order."""
        transcripts = sorted(
            self.transcripts, key=lambda t: (t.transc_user_id, t.transc_object_id, t.reg_num)
        )
        return {
            "vw_rpt_user": (list(FakeCsodUser.model_fields), [u.row() for u in self.users]),
            "vw_rpt_training": (
                list(FakeCsodTraining.model_fields),
                [t.row() for t in self.trainings],
            ),
            "vw_rpt_transcript": (
                list(FakeCsodTranscript.model_fields),
                [t.row() for t in transcripts],
            ),
        }
