"""Facts from file sources: cohort membership and attestations, kept by an admin as CSV.

Criteria refer to them with `badgeflow.criteria.InCohort` and `badgeflow.criteria.Attested`.
Both files are optional (`badgeflow.settings.FactsSettings`); each has a header row::

    learner_email,cohort,joined_at            # joined_at optional (column or value)
    ada@example.com,2026-autumn,2026-09-01

    learner_email,attestation,attested_by,attested_at
    ada@example.com,manager-signoff,grace@example.com,2026-10-02T09:00:00Z

Emails are normalised (trimmed, lower-cased); dates are ISO 8601, a date alone meaning
midnight UTC and a time without an offset meaning UTC. **A bad line stops the batch**
(`ConfigurationError` naming the file and line) rather than being quarantined: these files
are written by hand, a dropped sign-off would silently withhold a badge the learner earned,
and fixing one line then re-running the batch costs nothing (every stage is idempotent).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from badgeflow.errors import ConfigurationError
from badgeflow.models import (
    ATTESTATION,
    ATTESTATION_COLUMNS,
    ATTESTED_AT,
    ATTESTED_BY,
    COHORT,
    COHORT_COLUMNS,
    JOINED_AT,
    LEARNER_EMAIL,
)
from badgeflow.settings import FactsSettings

__all__ = ["Facts", "load_attestations", "load_cohorts", "load_facts"]

_DATETIME = "datetime64[us, UTC]"


@dataclass(frozen=True, eq=False)
class Facts:
    """The file-sourced facts criteria can use.

    Attributes:
        cohorts: `COHORT_COLUMNS` (``joined_at`` may be NaT).
        attestations: `ATTESTATION_COLUMNS`.
    """

    cohorts: pd.DataFrame
    attestations: pd.DataFrame

    @property
    def learners(self) -> set[str]:
        """Every learner either file names (normalised emails)."""
        return set(self.cohorts[LEARNER_EMAIL]) | set(self.attestations[LEARNER_EMAIL])

    def scope(
        self, batch_learners: Collection[str], completions: pd.DataFrame
    ) -> tuple[list[str], pd.DataFrame, Facts]:
        """Who a batch evaluates: its learners, and those a fact file names that it knows.

        A fact file's learner is evaluated every batch (a new sign-off may be all that
        changed), provided the completions know them (a badge needs a learner).

        Args:
            batch_learners: normalised emails of the batch's rows.
            completions: the completions loaded for the batch's and the files' learners.

        Returns:
            The learners, their completions and their facts.
        """
        known = set(completions[LEARNER_EMAIL]) if len(completions) else set()
        learners = sorted(set(batch_learners) | (self.learners & known))
        mine = (
            completions[completions[LEARNER_EMAIL].isin(learners)]
            if len(completions)
            else completions
        )
        return learners, mine, self.for_learners(learners)

    def for_learners(self, emails: Collection[str]) -> Facts:
        """The facts of these learners only (normalised emails)."""
        wanted = set(emails)
        return Facts(
            cohorts=self.cohorts[self.cohorts[LEARNER_EMAIL].isin(wanted)],
            attestations=self.attestations[self.attestations[LEARNER_EMAIL].isin(wanted)],
        )


def load_facts(settings: FactsSettings) -> Facts:
    """Load the configured fact files; an unset file gives an empty frame.

    Args:
        settings: the ``[facts]`` settings group.

    Returns:
        Both frames.

    Raises:
        ConfigurationError: a configured file is missing or has a bad line.
    """
    cohorts = load_cohorts(settings.cohorts_file) if settings.cohorts_file else _empty_cohorts()
    attestations = (
        load_attestations(settings.attestations_file)
        if settings.attestations_file
        else _frame([], ATTESTATION_COLUMNS, ATTESTED_AT)
    )
    return Facts(cohorts=cohorts, attestations=attestations)


def load_cohorts(path: Path) -> pd.DataFrame:
    """Read a cohort file.

    Args:
        path: CSV with ``learner_email``, ``cohort`` and optionally ``joined_at``.

    Returns:
        A frame with `COHORT_COLUMNS`, in file order, one row per distinct line.

    Raises:
        ConfigurationError: the file is missing, lacks a column, or a line has no email,
            no cohort or an unreadable date (the message names the file and line).
    """
    records = []
    for where, values in _read(path, "facts.cohorts_file", (LEARNER_EMAIL, COHORT)):
        joined = values.get(JOINED_AT, "")
        records.append(
            {
                LEARNER_EMAIL: _email(values[LEARNER_EMAIL], where),
                COHORT: _required(values, COHORT, where),
                JOINED_AT: _when(joined, where, JOINED_AT) if joined else None,
            }
        )
    return _frame(records, COHORT_COLUMNS, JOINED_AT)


def load_attestations(path: Path) -> pd.DataFrame:
    """Read an attestation file.

    Args:
        path: CSV with ``learner_email``, ``attestation``, ``attested_by``, ``attested_at``.

    Returns:
        A frame with `ATTESTATION_COLUMNS`, in file order.

    Raises:
        ConfigurationError: the file is missing, lacks a column, or a line lacks a value or
            has an unreadable date (the message names the file and line).
    """
    records = []
    for where, values in _read(path, "facts.attestations_file", ATTESTATION_COLUMNS):
        records.append(
            {
                LEARNER_EMAIL: _email(values[LEARNER_EMAIL], where),
                ATTESTATION: _required(values, ATTESTATION, where),
                ATTESTED_BY: _required(values, ATTESTED_BY, where),
                ATTESTED_AT: _when(_required(values, ATTESTED_AT, where), where, ATTESTED_AT),
            }
        )
    return _frame(records, ATTESTATION_COLUMNS, ATTESTED_AT)


def _read(path: Path, setting: str, required: Sequence[str]) -> list[tuple[str, dict[str, str]]]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{setting} {path}: cannot read: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [(h or "").strip() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in header]
    if missing:
        raise ConfigurationError(f"{path}:1: {setting} has no column {', '.join(missing)}")
    rows = []
    for row in reader:
        where = f"{path}:{reader.line_num}"
        if None in row:
            raise ConfigurationError(f"{where}: more values than the header has columns")
        values = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if any(values.values()):  # blank lines are allowed
            rows.append((where, values))
    return rows


def _required(values: dict[str, str], column: str, where: str) -> str:
    value = values.get(column, "")
    if not value:
        raise ConfigurationError(f"{where}: {column} is empty")
    return value


def _email(value: str, where: str) -> str:
    email = value.strip().lower()
    if "@" not in email.strip("@"):
        raise ConfigurationError(f"{where}: {LEARNER_EMAIL} {value!r} is not an email address")
    return email


def _when(value: str, where: str, column: str) -> datetime:
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigurationError(
            f"{where}: {column} {value!r} is not an ISO 8601 date or date-time"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _empty_cohorts() -> pd.DataFrame:
    return _frame([], COHORT_COLUMNS, JOINED_AT)


def _frame(
    records: Sequence[Mapping[str, object]], columns: Sequence[str], when: str
) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=list(columns))
    frame[when] = pd.to_datetime(frame[when], utc=True).astype(_DATETIME)
    for column in columns:
        if column != when:
            frame[column] = frame[column].astype(object)
    return frame.drop_duplicates(ignore_index=True)
