"""The data a fake LRS serves: xAPI statements exactly as an LRS stores them.

A dataset is a JSON file with a list of statements (xAPI 1.0.3, each with its ``id`` and
``stored`` time, as an LRS returns them)::

    {
      "statements": [
        {"id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
         "actor": {"objectType": "Agent", "name": "Amelia Hart",
                   "mbox": "mailto:amelia.hart@example.com"},
         "verb": {"id": "http://adlnet.gov/expapi/verbs/passed", "display": {"en-US": "passed"}},
         "object": {"objectType": "Activity", "id": "https://courses.example.com/ds201",
                    "definition": {"name": {"en-US": "Applied Data Analysis"}}},
         "result": {"score": {"scaled": 0.86}, "success": true, "completion": true},
         "timestamp": "2026-09-14T10:00:00Z",
         "stored": "2026-09-14T10:00:02.345Z"}
      ]
    }

A statement whose verb is ``http://adlnet.gov/expapi/verbs/voided`` and whose object is a
``StatementRef`` voids the statement it names: queries no longer return the voided one.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = ["VOIDED", "LrsDataset"]

VOIDED: Final = "http://adlnet.gov/expapi/verbs/voided"
"""The verb of a voiding statement."""


class LrsDataset(BaseModel):
    """Everything a `FakeLRS` serves."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    statements: list[dict[str, Any]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _statements_are_complete(self) -> LrsDataset:
        ids = set()
        for statement in self.statements:
            missing = [k for k in ("id", "actor", "verb", "object", "stored") if k not in statement]
            if missing:
                raise ValueError(f"statement {statement.get('id')!r} lacks {', '.join(missing)}")
            if statement["id"] in ids:
                raise ValueError(f"statement id {statement['id']!r} appears twice")
            ids.add(statement["id"])
            stored_at(statement)
        return self

    @classmethod
    def load(cls, path: Path) -> LrsDataset:
        """Read a dataset file.

        Raises:
            ValueError: the file is not a valid dataset (the message names the problem).
        """
        try:
            return cls.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
        except (ValidationError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not an LRS dataset: {exc}") from exc

    def voided_ids(self) -> set[str]:
        """The ids of the statements some voiding statement names."""
        return {
            str(s["object"].get("id"))
            for s in self.statements
            if s["verb"].get("id") == VOIDED and s["object"].get("objectType") == "StatementRef"
        }

    def by_stored(self) -> list[dict[str, Any]]:
        """Every statement, oldest stored first."""
        return sorted(self.statements, key=stored_at)


def stored_at(statement: dict[str, Any]) -> datetime:
    """The ``stored`` time of a statement.

    Raises:
        ValueError: it is not an ISO 8601 time with a UTC offset.
    """
    stored = datetime.fromisoformat(str(statement["stored"]))
    if stored.tzinfo is None:
        raise ValueError(f"statement {statement['id']!r}: stored has no UTC offset")
    return stored
