"""Award periods: when a met rule starts a new award, renews one, or starts nothing (and why).

At most one new period per learner and achievement comes out of one evaluation: a period
that starts at or before ``as_of`` and ends after it covers every later candidate date.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import numpy as np
import numpy.typing as npt

from badgeflow.rules._clauses import Context, Met
from badgeflow.rules._inputs import DAY, NEVER, UNDATED, Held, Ints, Learners

__all__ = [
    "LAPSED",
    "NOTHING",
    "REVOKED",
    "Periods",
    "award_key",
    "award_keys",
    "decide",
    "to_datetime",
]

NOTHING: Final = 0
LAPSED: Final = 1
REVOKED: Final = 2


def award_key(
    learner_email: str, achievement_id: str, *, valid_from: datetime, expires: bool
) -> str:
    """Compute the deterministic key of an award.

    Args:
        learner_email: the learner's normalised (lower-case) email.
        achievement_id: the achievement slug.
        valid_from: start of the award's validity.
        expires: whether the achievement expires; non-expiring awards have one period only.

    Returns:
        sha256 hex of ``email|achievement|period``, where period is ``perpetual`` or the
        ISO date (UTC) of `valid_from`.
    """
    period = valid_from.date().isoformat() if expires else "perpetual"
    return hashlib.sha256(f"{learner_email}|{achievement_id}|{period}".encode()).hexdigest()


def award_keys(
    learners: Learners, learner: Ints, slug: str, starts: Ints, *, expires: bool
) -> npt.NDArray[np.object_]:
    """`award_key` of many awards of one achievement (one hash per award)."""
    prefixes = learners.prefixes()
    if expires:
        days = np.datetime_as_string(starts.astype("datetime64[us]").astype("datetime64[D]"))
        suffixes = [f"|{slug}|{d}".encode() for d in days.tolist()]
    else:
        suffixes = [f"|{slug}|perpetual".encode()] * len(learner)
    sha256 = hashlib.sha256
    return np.array(
        [
            sha256(prefixes[i] + s).hexdigest()
            for i, s in zip(learner.tolist(), suffixes, strict=True)
        ],
        dtype=object,
    )


def to_datetime(micros: int) -> datetime:
    """Return microseconds since the epoch as an aware UTC datetime."""
    return datetime.fromtimestamp(0, UTC) + np.timedelta64(int(micros), "us").item()


@dataclass
class Periods:
    """What the rule's dates mean for each learner who meets it.

    Attributes:
        new: the new awards (active).
        why: per learner, `LAPSED` (the only qualifying periods have already ended),
            `REVOKED` (the period's award is stored, revoked or suspended) or `NOTHING`.
        lapsed_on: per learner, the last lapsed qualifying date (for the reason).
        ended: per learner, the end of the latest active stored period (`UNDATED` if none).
    """

    new: Held
    why: Ints
    lapsed_on: Ints
    ended: Ints


def decide(
    slug: str,
    days: int | None,
    met: Met,
    events: list[tuple[Ints, Ints]],
    ctx: Context,
    learners: Learners,
    known: set[str],
    *,
    window: int | None = None,
) -> Periods:
    """Choose each learner's new period, if any (semantics: `badgeflow.criteria.nodes`).

    A candidate start is any leaf event at or after the date the rule became met. The first
    candidate that no active award covers and whose period would still run at ``as_of``
    starts the new award; a period whose key is already stored (revoked) is not re-issued.
    With a renewal ``window`` (days), an active award covers candidates only up to that many
    days before it ends: meeting the rule again then renews it early.
    """
    n, as_of = ctx.size, ctx.as_of
    held = ctx.held_of(slug)
    ended = np.full(n, UNDATED, dtype=np.int64)
    np.maximum.at(ended, held.learner[held.active], held.end[held.active])
    if window is not None:  # an award covers candidates up to `window` days before it ends
        early = (ended != UNDATED) & (ended != NEVER)
        ended[early] -= window * DAY
    who = np.flatnonzero(met.met)
    first = np.where(met.date[who] == UNDATED, as_of, met.date[who])
    bound = UNDATED if days is None else as_of - days * DAY  # a start must come after it
    threshold = np.maximum(first, ended[who])
    start = np.full(n, NEVER, dtype=np.int64)
    easy = (threshold == first) & (first > bound)
    start[who[easy]] = first[easy]
    lapsed_on = np.full(n, UNDATED, dtype=np.int64)
    hard = who[~easy & (threshold != NEVER)]
    if len(hard):
        limit = np.full(n, NEVER, dtype=np.int64)
        limit[who] = threshold
        learner = np.concatenate([e[0] for e in events] + [who])
        date = np.concatenate([e[1] for e in events] + [first])
        wanted = np.zeros(n, dtype=bool)
        wanted[hard] = True
        take = wanted[learner] & (date >= limit[learner]) & (date <= as_of)
        learner, date = learner[take], date[take]
        live = date > bound
        np.minimum.at(start, learner[live], date[live])
        np.maximum.at(lapsed_on, learner[~live], date[~live])
    why = np.full(n, NOTHING, dtype=np.int64)
    why[(start == NEVER) & (lapsed_on != UNDATED)] = LAPSED
    starting = np.flatnonzero(start != NEVER)
    keys = award_keys(learners, starting, slug, start[starting], expires=days is not None)
    before = np.zeros(n, dtype=bool)
    before[held.learner] = True  # only a learner with a stored award can have a stored key
    stored = before[starting]
    stored[stored] = np.array([k in known for k in keys[stored]], dtype=bool)
    why[starting[stored]] = REVOKED
    learner, begins, keys = starting[~stored], start[starting[~stored]], keys[~stored]
    known.update(keys.tolist())
    first_awarded = np.full(n, NEVER, dtype=np.int64)
    kept = held.status != "revoked"  # a renewal keeps the first award's awarded_at
    np.minimum.at(first_awarded, held.learner[kept], held.awarded[kept])
    awarded = np.minimum(first_awarded[learner], begins)
    end = begins + days * DAY if days is not None else np.full(len(begins), NEVER, np.int64)
    new = Held(
        learner, begins, end, np.ones(len(learner), dtype=bool), keys, awarded,
        np.full(len(learner), "active", dtype=object),
    )  # fmt: skip
    return Periods(new=new, why=why, lapsed_on=lapsed_on, ended=ended)
