"""Reasons a learner can act on, built once per distinct case (not once per row).

Texts are interned (`Texts`): every row or learner carries an integer id, and a string is
formatted only for each distinct combination of the values it depends on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from badgeflow.criteria import (
    AllOf,
    AnyOf,
    AssessmentPassed,
    AtLeast,
    Attested,
    Clause,
    CourseCompleted,
    HoldsBadge,
    InCohort,
    Not,
)
from badgeflow.rules._clauses import FINAL_ASSESSMENT, Context, Met, holding
from badgeflow.rules._inputs import DAY, NEVER, UNDATED, Ints, Rows
from badgeflow.rules._periods import to_datetime

__all__ = ["Texts", "cases", "describe", "join", "needs", "problems"]

_MISSING = -1.0e300


class Texts:
    """Interned strings: ``texts[id]`` and ``texts.id(text)``."""

    def __init__(self) -> None:
        """Start with the empty text as id 0."""
        self.strings: list[str] = [""]
        self._ids: dict[str, int] = {"": 0}

    def __getitem__(self, i: int) -> str:
        """Return the text of an id."""
        return self.strings[i]

    def id(self, text: str) -> int:
        """Return the id of a text, adding it when new."""
        found = self._ids.get(text)
        if found is None:
            found = self._ids[text] = len(self.strings)
            self.strings.append(text)
        return found


def cases(matrix: npt.NDArray[Any]) -> tuple[Ints, Ints]:
    """Group equal rows of a matrix (hash-based, no sort).

    Returns:
        (index of the first row of each case, case number of each row).
    """
    codes = np.zeros(len(matrix), dtype=np.int64)
    for column in matrix.T:
        if not len(column) or column.min() == column.max():
            continue  # a constant column tells no case apart
        values, _ = pd.factorize(column)
        if codes.any():
            values, _ = pd.factorize(codes * (int(values.max(initial=0)) + 1) + values)
        codes = values
    first = np.empty(int(codes.max(initial=-1)) + 1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    return first, codes


def describe(clause: Clause) -> str:
    """Say in words what a clause needs, e.g. ``DS390 completed with score >= 70``."""
    if isinstance(clause, CourseCompleted):
        parts = []
        if clause.min_score is not None:
            parts.append(f"score >= {_num(clause.min_score)}")
        if clause.min_modules is not None:
            parts.append(f"at least {clause.min_modules} modules")
        if clause.all_modules:
            parts.append("all modules")
        source = f" (from {clause.source})" if clause.source else ""
        return f"{clause.course} completed{source}" + (
            f" with {' and '.join(parts)}" if parts else ""
        )
    if isinstance(clause, AssessmentPassed):
        return f"the {clause.course} final assessment passed with score >= {_num(clause.pass_mark)}"
    if isinstance(clause, InCohort):
        return f"membership of the {clause.cohort} cohort"
    if isinstance(clause, Attested):
        return f"the {clause.attestation} attestation"
    if isinstance(clause, HoldsBadge):
        held = f", held for {clause.for_days} days" if clause.for_days else ""
        return f"the {clause.achievement} badge{held}"
    if isinstance(clause, Not):
        return f"not {describe(clause.clause)}"
    inner = "; ".join(describe(c) for c in clause.clauses)
    if isinstance(clause, AllOf):
        return f"all of ({inner})"
    k = 1 if isinstance(clause, AnyOf) else clause.k if isinstance(clause, AtLeast) else 0
    return f"one of ({inner})" if k == 1 else f"{k} of ({inner})"


def needs(
    slug: str, rule: Clause, parts: Sequence[Met], who: Ints, ctx: Context, texts: Texts
) -> Ints:
    """Per learner of `who`, the id of ``"<slug>: still needs ..."`` (0 when `parts` are met).

    Args:
        slug: the achievement.
        rule: its rule; the clauses of a root `AllOf` are described one by one.
        parts: the evaluation of each described clause (one, the rule, unless `AllOf`).
        who: the learners to describe (those a reason will be shown to).
        ctx: the data (for how long a badge has been held so far).
        texts: where the texts go.
    """
    clauses = list(rule.clauses) if isinstance(rule, AllOf) else [rule]
    plain = {c.achievement for c in clauses if isinstance(c, HoldsBadge) and not c.for_days}
    columns = []
    for clause, met in zip(clauses, parts, strict=True):
        column = np.where(met.met[who], -2, -1).astype(np.int64)  # -2 met, -1 not met
        if isinstance(clause, HoldsBadge) and clause.for_days:
            since = holding(clause, ctx)[0][who]
            so_far = (ctx.as_of - since) // DAY
            column = np.where(~met.met[who] & (since != NEVER), so_far, column)
        columns.append(column)
    matrix = np.vstack(columns).T
    lacking = np.flatnonzero((matrix != -2).any(axis=1))
    out = np.zeros(len(who), dtype=np.int64)
    if not len(lacking):
        return out
    first, inverse = cases(matrix[lacking])
    ids = []
    for case in matrix[lacking][first].tolist():
        said = []
        for clause, value in zip(clauses, case, strict=True):
            if value == -2:
                continue
            if isinstance(clause, HoldsBadge) and clause.for_days:
                if value >= 0:
                    said.append(
                        f"{clause.achievement} held for {clause.for_days} days "
                        f"(held {value} so far)"
                    )
                elif clause.achievement not in plain:
                    said.append(describe(clause))
            else:
                said.append(describe(clause))
        ids.append(texts.id(f"{slug}: still needs {'; '.join(dict.fromkeys(said))}"))
    out[lacking] = np.asarray(ids, dtype=np.int64)[inverse]
    return out


def problems(
    leaf: CourseCompleted | AssessmentPassed, rows: Rows, spots: Ints, as_of: int, texts: Texts
) -> Ints:
    """Per row (`spots`), the id of ``"<course>: <problem>; ..."`` for a row failing `leaf`."""
    if not len(spots):
        return np.zeros(0, dtype=np.int64)
    at = rows.at[spots]
    when = np.where(at == UNDATED, -1.0, np.where(at > as_of, at.astype(float), 0.0))
    # only the values this leaf looks at (fewer columns, fewer distinct cases)
    nothing = np.zeros(len(spots))
    assessment = isinstance(leaf, AssessmentPassed)
    scored = isinstance(leaf, AssessmentPassed) or leaf.min_score is not None
    counted = isinstance(leaf, CourseCompleted) and (
        leaf.all_modules or leaf.min_modules is not None
    )
    matrix = np.column_stack(
        [
            rows.completed[spots].astype(float),
            when,
            rows.score[spots] if scored else nothing,
            rows.done[spots] if counted else nothing,
            rows.total[spots] if counted else nothing,
            rows.final[spots].astype(float) if assessment else nothing,
        ]
    )
    matrix = np.where(np.isnan(matrix), _MISSING, matrix)
    first, inverse = cases(matrix)
    ids = [
        texts.id(f"{leaf.course}: {'; '.join(_case(leaf, case))}")
        for case in matrix[first].tolist()
    ]
    return np.asarray(ids, dtype=np.int64)[inverse]


def _case(leaf: CourseCompleted | AssessmentPassed, case: list[float]) -> list[str]:
    completed, when, score_, done_, total_, final = case
    score, done, total = (None if v == _MISSING else v for v in (score_, done_, total_))
    found: list[str] = []
    if not completed:
        found.append("not completed")
    elif when == -1.0:
        found.append("completed without a completion date")
    elif when > 0:
        stamp = to_datetime(int(when)).isoformat()
        found.append(f"completed at {stamp}, after the evaluation time")
    threshold = leaf.pass_mark if isinstance(leaf, AssessmentPassed) else leaf.min_score
    if isinstance(leaf, AssessmentPassed) and not final:
        found.append(f"the score is not a {FINAL_ASSESSMENT.replace('_', ' ')} score")
    if threshold is not None:
        if score is None:
            found.append(f"no score recorded (needs at least {_num(threshold)})")
        elif score < threshold:
            found.append(f"score {round(score, 2)} is below {_num(threshold)}")
    if isinstance(leaf, CourseCompleted):
        found.extend(_modules(leaf, done, total))
    return found or ["does not meet the condition"]


def _modules(leaf: CourseCompleted, done_: float | None, total_: float | None) -> list[str]:
    if not leaf.all_modules and leaf.min_modules is None:
        return []
    if done_ is None or (leaf.all_modules and total_ is None):
        return ["module counts missing"]
    done, total = int(done_), None if total_ is None else int(total_)
    short_of_all = leaf.all_modules and done != total
    short_of_min = leaf.min_modules is not None and done < leaf.min_modules
    if not (short_of_all or short_of_min):
        return []
    message = f"{done} of {total} modules completed" if total is not None else f"{done} modules"
    if short_of_min and not (short_of_all and total == leaf.min_modules):
        message += f" (needs at least {leaf.min_modules})"
    return [message]


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def join(texts: Texts, signatures: npt.NDArray[np.int64]) -> Ints:
    """Per row of `signatures` (text ids, 0 = nothing), the id of their ``"; "`` join."""
    if not len(signatures):
        return np.zeros(0, dtype=np.int64)
    first, inverse = cases(signatures)
    ids = [
        texts.id("; ".join(_without_repeats(texts[i] for i in case if i)))
        for case in signatures[first].tolist()
    ]
    return np.asarray(ids, dtype=np.int64)[inverse]


def _without_repeats(parts: Iterable[str]) -> list[str]:
    """Distinct parts, less those another part already says in full.

    Two achievements using one course give "SQL110: score 70 is below 75" and "SQL110: score
    70 is below 75; 5 of 6 modules completed"; the learner needs to read it once.
    """
    unique = list(dict.fromkeys(parts))

    def atoms(part: str) -> tuple[str, set[str]]:
        head, _, rest = part.partition(": ")
        return head, set(rest.split("; "))

    split = [atoms(p) for p in unique]
    return [
        part
        for part, (head, said) in zip(unique, split, strict=True)
        if not any(
            other != part and h == head and said < more
            for other, (h, more) in zip(unique, split, strict=True)
        )
    ]
