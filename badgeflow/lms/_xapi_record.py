"""One xAPI statement as a canonical completion record (actor, result, times)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    COURSE_NAME,
    FETCHED_AT,
    LEARNER_EMAIL,
    LEARNER_ID,
    LEARNER_NAME,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PARSE_ERRORS,
    PROGRESS_PCT,
    RAW,
    SCORE,
    SCORE_KIND,
    SOURCE,
    SOURCE_RECORD_ID,
    SOURCE_SYSTEM,
    JSONDict,
)

__all__ = ["COMPLETED_VERB", "FAILED", "PASSED", "VERBS", "VOIDED", "statement_record"]

_ADL: Final = "http://adlnet.gov/expapi/verbs/"
COMPLETED_VERB: Final = f"{_ADL}completed"
PASSED: Final = f"{_ADL}passed"
FAILED: Final = f"{_ADL}failed"
VOIDED: Final = f"{_ADL}voided"
VERBS: Final = (COMPLETED_VERB, PASSED, FAILED)
"""The verbs read, in the order they are queried."""
_SYSTEM: Final = "xapi"


def statement_record(
    source: str, statement: JSONDict, course_id: str, fetched_at: datetime
) -> dict[str, object]:
    """Map one statement to a canonical record (every frame column but `ROW_NUMBER`).

    Args:
        source: the configured source name.
        statement: the statement as the LRS returned it; a ``voided_by`` key marks one that
            was voided after it was stored (it then never counts as completed).
        course_id: the catalog course id of its activity.
        fetched_at: the batch clock.

    Returns:
        The record; problems are messages in `PARSE_ERRORS`.
    """
    errors: list[str] = []
    actor = statement.get("actor") or {}
    learner_id, email = _learner(actor, errors)
    verb = (statement.get("verb") or {}).get("id")
    result = statement.get("result") or {}
    completed = (
        verb in (COMPLETED_VERB, PASSED)
        and result.get("success") is not False
        and result.get("completion") is not False
        and "voided_by" not in statement
    )
    completed_at = _completed_at(statement, errors) if completed else None
    score = _score(result.get("score"), errors)
    kind = "final_assessment" if verb in (PASSED, FAILED) else "course_total"
    definition = (statement.get("object") or {}).get("definition") or {}
    return {
        SOURCE: source,
        SOURCE_SYSTEM: _SYSTEM,
        SOURCE_RECORD_ID: str(statement.get("id")),
        LEARNER_ID: learner_id,
        LEARNER_EMAIL: email,
        LEARNER_NAME: actor.get("name"),
        COURSE_ID: course_id,
        COURSE_NAME: _language_map(definition.get("name")),
        COMPLETED: completed,
        COMPLETED_AT: completed_at,
        SCORE: score,
        SCORE_KIND: kind if score is not None else "none",
        MODULES_COMPLETED: None,
        MODULES_TOTAL: None,
        PROGRESS_PCT: None,
        FETCHED_AT: fetched_at,
        RAW: statement,
        PARSE_ERRORS: tuple(errors),
    }


def _learner(actor: JSONDict, errors: list[str]) -> tuple[str | None, str | None]:
    """The learner id and email of an Agent, by its inverse functional identifier."""
    if actor.get("objectType") == "Group":
        errors.append(f"{LEARNER_ID}: the actor is a Group, not one learner")
        return None, None
    mbox = actor.get("mbox")
    if isinstance(mbox, str) and mbox.lower().startswith("mailto:") and "@" in mbox:
        email = mbox[len("mailto:") :].strip().lower()
        return email, email
    account = actor.get("account") or {}
    if account.get("homePage") and account.get("name"):
        learner_id = f"{account['homePage']}::{account['name']}"
    elif actor.get("mbox_sha1sum"):
        learner_id = f"mbox_sha1sum:{actor['mbox_sha1sum']}"
    elif actor.get("openid"):
        learner_id = str(actor["openid"])
    else:
        errors.append(f"{LEARNER_ID}: the actor has no mbox, account, mbox_sha1sum or openid")
        return None, None
    errors.append(
        f"{LEARNER_EMAIL}: the actor has no mbox; map learner {learner_id!r} to an email "
        "in identity.mapping_file"
    )
    return learner_id, None


def _completed_at(statement: JSONDict, errors: list[str]) -> datetime | None:
    stored = _time(statement.get("stored"), "stored", errors)
    happened = _time(statement.get("timestamp"), "timestamp", errors) or stored
    if happened is None or stored is None:
        return happened
    return min(happened, stored)


def _time(value: Any, field: str, errors: list[str]) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        errors.append(f"{COMPLETED_AT}: {field} {value!r} is not an ISO 8601 time")
        return None
    if parsed.tzinfo is None:
        errors.append(f"{COMPLETED_AT}: {field} {value!r} has no UTC offset")
        return None
    return parsed


def _score(score: Any, errors: list[str]) -> float | None:
    """``scaled`` (-1..1) as a percent, else ``raw`` within ``min``..``max`` (min 0)."""
    if not isinstance(score, dict):
        return None
    try:
        if score.get("scaled") is not None:
            scaled = float(score["scaled"])
            if not 0 <= scaled <= 1:
                errors.append(f"{SCORE}: score.scaled {scaled} is outside 0..1")
                return None
            return scaled * 100
        raw, low, high = score.get("raw"), score.get("min", 0), score.get("max")
        if raw is None or high is None:
            return None
        low, high = float(low), float(high)
        if high <= low:
            errors.append(f"{SCORE}: score.max {high} is not above score.min {low}")
            return None
        return (float(raw) - low) / (high - low) * 100
    except (TypeError, ValueError):
        errors.append(f"{SCORE}: {score!r} is not a number")
        return None


def _language_map(value: Any) -> str | None:
    """The ``en-US`` (else ``en``, else first) entry of an xAPI language map."""
    if not isinstance(value, dict) or not value:
        return None
    for tag in ("en-US", "en", "en-GB"):
        if value.get(tag):
            return str(value[tag])
    return str(next(iter(value.values())))
