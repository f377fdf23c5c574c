"""One learner across sources: the identity mapping file, applied to each source at ingest.

Learners are stored by normalised email (trimmed, lower-cased; `badgeflow.store.learners`),
so the same address in Moodle and in Canvas is already one learner. The mapping file is for
the rest: a learner whose sources spell different addresses, or a source that carries no
email at all (xAPI ``account`` actors, SCORM exports keyed by employee number). It is a CSV
file with a header and three columns::

    source,learner,email
    lrs-main,https://lms.example.com::u-1002,bo.chen@example.com
    canvas-main,bo@personal.example.net,bo.chen@example.com

``learner`` is the source's learner id (matched exactly) or an email the source sends
(matched normalised); ``email`` is the canonical address the learner is stored under. A row
the file maps two ways (two entries for one learner, or its id and its email pointing at
different people) is never merged: it gets a `PARSE_ERRORS` note and is quarantined. So is a
row with no email that the file does not map.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pandas as pd

from badgeflow.credentials.ob3 import normalise_email
from badgeflow.errors import ConfigurationError
from badgeflow.models import LEARNER_EMAIL, LEARNER_ID, PARSE_ERRORS

__all__ = ["IdentityMap", "apply_identity_map", "load_identity_map"]

COLUMNS: Final = ("source", "learner", "email")
_EMAIL_NOTE: Final = f"{LEARNER_EMAIL}:"


@dataclass(frozen=True)
class IdentityMap:
    """Canonical emails by (source, learner id or normalised email).

    Attributes:
        entries: every canonical email the file gives each key; more than one is a conflict.
    """

    entries: Mapping[tuple[str, str], frozenset[str]]

    def lookup(self, source: str, learner: str | None) -> frozenset[str]:
        """The canonical emails the file gives a learner id or email (empty when none).

        Args:
            source: the source name.
            learner: a learner id, or an email (any spelling).

        Returns:
            The emails mapped to it, usually zero or one.
        """
        if not learner:
            return frozenset()
        key = normalise_email(learner) if "@" in learner else learner.strip()
        return self.entries.get((source, key), frozenset())


def load_identity_map(path: Path, *, sources: Collection[str]) -> IdentityMap:
    """Read a mapping file (UTF-8, with or without BOM).

    Args:
        path: the CSV file.
        sources: the configured source names; a row naming another is an error.

    Returns:
        The mapping.

    Raises:
        ConfigurationError: the file is missing, lacks a column, names an unknown source,
            or maps to something that is not an email address.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"identity.mapping_file {path}: cannot read: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ConfigurationError(f"identity.mapping_file {path}: no column {', '.join(missing)}")
    entries: dict[tuple[str, str], set[str]] = {}
    for line, row in enumerate(reader, start=2):
        values = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        source, learner, email = (values.get(c, "") for c in COLUMNS)
        where = f"identity.mapping_file {path} line {line}"
        if source not in sources:
            raise ConfigurationError(f"{where}: no configured source {source!r}")
        if not learner or "@" not in email.strip(" @"):
            raise ConfigurationError(f"{where}: needs a learner and an email address")
        key = normalise_email(learner) if "@" in learner else learner
        entries.setdefault((source, key), set()).add(normalise_email(email))
    return IdentityMap({k: frozenset(v) for k, v in entries.items()})


def apply_identity_map(frame: pd.DataFrame, source: str, mapping: IdentityMap) -> pd.DataFrame:
    """Give each row of one source its canonical email, before the data contract runs.

    A row the file maps one way gets that email (and loses the connector's notes about its
    missing email); a row mapped two ways, or with no email and no mapping, gets a note in
    `PARSE_ERRORS`, so the contract quarantines it. Other rows are left as they are.

    Args:
        frame: the source's canonical completion frame.
        source: the source name.
        mapping: the loaded mapping file.

    Returns:
        A new frame; the input is not changed.
    """
    frame = frame.copy()
    emails = frame[LEARNER_EMAIL].astype(object).tolist()
    notes = list(frame[PARSE_ERRORS])
    for i, (learner_id, email) in enumerate(zip(frame[LEARNER_ID], emails, strict=True)):
        learner = learner_id if isinstance(learner_id, str) else None
        spelled = email if isinstance(email, str) and email.strip() else None
        found = mapping.lookup(source, learner) | mapping.lookup(source, spelled)
        errors = tuple(notes[i] or ())
        if len(found) == 1:
            emails[i] = next(iter(found))
            notes[i] = tuple(e for e in errors if not e.startswith(_EMAIL_NOTE))
        elif found:
            who = " / ".join(repr(v) for v in (learner, spelled) if v)
            conflict = f"identity.mapping_file maps learner {who} to {', '.join(sorted(found))}"
            notes[i] = (*errors, f"{_EMAIL_NOTE} {conflict}; not merged")
        elif spelled is None and not any(e.startswith(_EMAIL_NOTE) for e in errors):
            note = (
                f"{_EMAIL_NOTE} no email, and learner {learner!r} is not in identity.mapping_file"
            )
            notes[i] = (*errors, note)
    frame[LEARNER_EMAIL] = pd.Series(emails, index=frame.index, dtype=frame[LEARNER_EMAIL].dtype)
    frame[PARSE_ERRORS] = pd.Series(notes, index=frame.index, dtype=object)
    return frame
