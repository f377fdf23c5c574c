"""The evaluator's output frames: new awards and one outcome per completion row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from badgeflow.criteria import AssessmentPassed, CourseCompleted
from badgeflow.models import (
    ACHIEVEMENT_ID,
    AWARD_COLUMNS,
    AWARD_KEY,
    AWARDED_AT,
    COURSE_ID,
    EVIDENCE_RECORD_IDS,
    LEARNER_EMAIL,
    LEARNER_NAME,
    OUTCOME,
    OUTCOME_COLUMNS,
    REASON,
    RECORD_KEY,
    SCORE,
    VALID_FROM,
    VALID_UNTIL,
)
from badgeflow.rules._clauses import Context
from badgeflow.rules._inputs import NEVER, Held, Ints, Learners, Rows
from badgeflow.rules._reasons import Texts, join, problems

__all__ = ["Award", "Users", "awards_frame", "outcomes_frame"]

_DATETIME: Final = "datetime64[us, UTC]"
Users = dict[str, list[tuple[str, CourseCompleted | AssessmentPassed]]]


@dataclass
class Award:
    """The new awards of one achievement, with their evidence rows and score."""

    slug: str
    new: Held
    evidence: np.ndarray
    score: np.ndarray


def awards_frame(awards: list[Award], rows: Rows, learners: Learners) -> pd.DataFrame:
    """Build the `AWARD_COLUMNS` frame, ordered by start, learner email and achievement."""
    awards = [a for a in awards if len(a.new.learner)]
    if not awards:
        return _typed(pd.DataFrame(columns=list(AWARD_COLUMNS)))
    learner = np.concatenate([a.new.learner for a in awards])
    emails = np.asarray(learners.emails, dtype=object)
    evidence = [e for a in awards for e in _evidence_keys(rows, a.evidence)]
    frame = pd.DataFrame(
        {
            AWARD_KEY: np.concatenate([a.new.key for a in awards]),
            LEARNER_EMAIL: emails[learner],
            LEARNER_NAME: _names(rows, learner, len(learners)),
            ACHIEVEMENT_ID: np.concatenate([[a.slug] * len(a.new.learner) for a in awards]),
            AWARDED_AT: np.concatenate([a.new.awarded for a in awards]),
            VALID_FROM: np.concatenate([a.new.start for a in awards]),
            VALID_UNTIL: np.concatenate([a.new.end for a in awards]),
            SCORE: np.concatenate([a.score for a in awards]),
            EVIDENCE_RECORD_IDS: pd.Series(evidence, dtype=object),
        }
    )
    # sort by (start, email, achievement) without sorting a million strings: rank the
    # distinct emails once, then sort integers
    distinct = np.unique(learner)
    rank = np.zeros(len(learners), dtype=np.int64)
    rank[distinct[np.argsort(emails[distinct].astype(str), kind="stable")]] = np.arange(
        len(distinct)
    )
    slugs = frame[ACHIEVEMENT_ID].to_numpy(dtype=str)
    order = np.lexsort((slugs, rank[learner], frame[VALID_FROM].to_numpy()))
    return _typed(frame.iloc[order].reset_index(drop=True))


def _evidence_keys(rows: Rows, chosen: Ints) -> list[tuple[str, ...]]:
    """Per award, the sorted record keys of its evidence rows (-1: none)."""
    if chosen.shape[1] == 0 or len(rows.key) == 0:  # no rule row, or no rows at all
        return [()] * len(chosen)
    keys: npt.NDArray[np.object_] = rows.key[chosen.clip(0)]
    keys[chosen < 0] = None
    if chosen.shape[1] == 1:
        return [() if k is None else (k,) for k in keys[:, 0].tolist()]
    return [tuple(sorted({k for k in row if k is not None})) for row in keys.tolist()]


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for column in (AWARDED_AT, VALID_FROM, VALID_UNTIL):
        micros = frame[column].to_numpy(dtype=np.int64, na_value=NEVER)
        stamps = np.where(micros == NEVER, np.datetime64("NaT"), micros.astype("datetime64[us]"))
        frame[column] = pd.Series(stamps, index=frame.index).dt.tz_localize("UTC").astype(_DATETIME)
    frame[SCORE] = frame[SCORE].astype("float64")
    return frame[list(AWARD_COLUMNS)]


def _names(rows: Rows, learner: Ints, size: int) -> np.ndarray:
    """The name on each learner's latest named completion row (None when none)."""
    wanted = np.zeros(size, dtype=bool)
    wanted[learner] = True
    spots = np.flatnonzero(wanted[rows.learner] & ~pd.isna(rows.name))
    spots = spots[np.lexsort((rows.at[spots], rows.learner[spots]))]
    named = np.full(size, None, dtype=object)
    while len(spots):
        # the latest row of each learner; a blank name (rare) drops out and the next counts
        last = np.flatnonzero(np.r_[rows.learner[spots][1:] != rows.learner[spots][:-1], True])
        names = [str(n).strip() and str(n) for n in rows.name[spots[last]]]
        blank = np.array([not n for n in names], dtype=bool)
        named[rows.learner[spots[last]]] = names
        if not blank.any():
            break
        spots = np.delete(spots, last[blank])
    named[named == ""] = None
    return named[learner]


def outcomes_frame(
    ctx: Context,
    users: Users,
    earned: dict[str, np.ndarray],
    notes: dict[str, Ints],
    learners: Learners,
    texts: Texts,
    awarded_label: str,
    waiting_label: str,
) -> pd.DataFrame:
    """One `OUTCOME_COLUMNS` row per completion row, in input order.

    A row is awarded when it meets a course clause of an achievement the learner holds at
    ``as_of`` (stored or new); otherwise its reason lists, for each achievement using its
    course, what the row lacks or, when the row is fine, what the learner still needs.
    """
    rows = ctx.rows
    size = len(rows.at)
    awarded = np.zeros(size, dtype=bool)
    reason = np.zeros(size, dtype=np.int64)
    for course, span in rows.courses.items():
        pairs = users.get(course)
        if not pairs:
            reason[span] = texts.id(f"{course}: no achievement uses this course")
            continue
        learner = rows.learner[span]
        start = span.start or 0
        done = np.zeros(len(learner), dtype=bool)
        signature = np.zeros((len(learner), len(pairs)), dtype=np.int64)
        for j, (slug, leaf) in enumerate(pairs):
            passes = np.zeros(len(learner), dtype=bool)
            passes[ctx.qualifying[leaf] - start] = True
            done |= passes & earned[slug][learner]
            column = notes[slug][learner]
            failing = np.flatnonzero(~passes)
            column[failing] = problems(leaf, rows, failing + start, ctx.as_of, texts)
            signature[:, j] = column
        awarded[span] = done
        reason[np.flatnonzero(~done) + start] = join(texts, signature[~done])
    inverse = np.empty(size, dtype=np.int64)
    inverse[rows.position] = np.arange(size)
    emails = np.asarray(learners.emails, dtype=object)
    labels = np.asarray([waiting_label, awarded_label], dtype=object)
    return pd.DataFrame(
        {
            RECORD_KEY: rows.input_key,
            LEARNER_EMAIL: emails[rows.input_learner] if size else rows.input_key,
            COURSE_ID: rows.input_course,
            OUTCOME: labels[awarded[inverse].astype(np.int64)],
            REASON: np.asarray(texts.strings, dtype=object)[reason[inverse]],
        },
        columns=list(OUTCOME_COLUMNS),
    )
