"""Split one delivery into the completion events it carries, each with its dedupe key.

Each vendor wraps completions its own way (API_NOTES "Events / webhooks"): Docebo groups
payloads under one ``message_id``, Cornerstone batches ``records[]``, 360Learning names the
delivery in the ``webhook-id`` header, Litmos numbers its events, Canvas and Moodle send one
event per request. Only completion events are kept; the rest of a vendor's events are
acknowledged and ignored. An event without a vendor id is keyed by the hash of its content,
so a redelivery still dedupes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from badgeflow.models import JSONDict
from badgeflow.store import NewWebhookEvent

__all__ = ["GENERIC_REQUIRED", "MalformedDelivery", "split_delivery"]

GENERIC_REQUIRED: Final = ("event_id", "learner_email", "course_id", "completed_at")
"""Fields every generic completion event must carry (strings)."""


class MalformedDelivery(ValueError):
    """The body is JSON but not the vendor's event shape (answered 400)."""


def split_delivery(vendor: str, body: Any, headers: Mapping[str, str]) -> list[NewWebhookEvent]:
    """Return the completion events of a parsed delivery.

    Args:
        vendor: the source's payload format.
        body: the parsed JSON body.
        headers: request headers, names lower-cased.

    Returns:
        The completion events (empty when the delivery carries none, e.g. another event type).

    Raises:
        MalformedDelivery: the body is not what the vendor sends.
    """
    if not isinstance(body, dict):
        raise MalformedDelivery("the body must be a JSON object")
    return _SPLITTERS[vendor](body, headers)


def _generic(body: JSONDict, _headers: Mapping[str, str]) -> list[NewWebhookEvent]:
    missing = [f for f in GENERIC_REQUIRED if not isinstance(body.get(f), str) or not body[f]]
    if missing:
        raise MalformedDelivery(f"missing or non-string field(s): {', '.join(missing)}")
    try:
        stamp = datetime.fromisoformat(body["completed_at"])
    except ValueError:
        raise MalformedDelivery("completed_at is not an ISO 8601 date-time") from None
    if stamp.tzinfo is None:
        raise MalformedDelivery("completed_at needs a UTC offset (e.g. 2026-05-01T09:30:00Z)")
    score = body.get("score")
    if score is not None and (
        isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 100
    ):
        raise MalformedDelivery("score must be a number from 0 to 100, or null")
    return [NewWebhookEvent(f"id:{body['event_id']}", body)]


def _canvas(body: JSONDict, _headers: Mapping[str, str]) -> list[NewWebhookEvent]:
    metadata = body.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(body.get("body"), dict):
        raise MalformedDelivery("a Canvas live event has 'metadata' and 'body' objects")
    if metadata.get("event_name") != "course_completed":
        return []
    return [NewWebhookEvent(_key(metadata.get("event_id")) or _hash(body), body)]


def _docebo(body: JSONDict, _headers: Mapping[str, str]) -> list[NewWebhookEvent]:
    if "event" not in body or not ("payload" in body or "payloads" in body):
        raise MalformedDelivery("a Docebo message has 'event' and 'payload'")
    if body["event"] != "course.enrollment.completed":
        return []
    items = body.get("payloads", body.get("payload"))
    items = items if isinstance(items, list) else [items]
    if not all(isinstance(i, dict) for i in items):
        raise MalformedDelivery("Docebo payloads must be objects")
    message = _key(body.get("message_id"))
    return [
        NewWebhookEvent(
            (f"{message}#{n}" if len(items) > 1 else message) if message else _hash(item), item
        )
        for n, item in enumerate(items)
    ]


def _litmos(body: JSONDict, _headers: Mapping[str, str]) -> list[NewWebhookEvent]:
    if not isinstance(body.get("data"), dict) or "type" not in body:
        raise MalformedDelivery("a Litmos event has 'type' and a 'data' object")
    if str(body["type"]).lower() != "achievement.earned":
        return []
    return [NewWebhookEvent(_key(body.get("id")) or _hash(body), body)]


def _360learning(body: JSONDict, headers: Mapping[str, str]) -> list[NewWebhookEvent]:
    data = body.get("data")
    if not isinstance(data, dict) or "type" not in body:
        raise MalformedDelivery("a 360Learning event has 'type' and a 'data' object")
    kind = body["type"]
    done = kind == "course.attempt.closed" or (
        kind == "path.session.user.status.updated" and data.get("status") == "successful"
    )
    if not done:
        return []
    return [NewWebhookEvent(_key(headers.get("webhook-id")) or _hash(body), body)]


def _cornerstone(body: JSONDict, _headers: Mapping[str, str]) -> list[NewWebhookEvent]:
    records = body.get("records")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise MalformedDelivery("a Cornerstone delivery has a 'records' array of objects")
    events = []
    for record in records:
        value = record.get("value") or {}
        if not isinstance(value, dict) or value.get("lmsEventsCase") != "TrainingCompleted":
            continue
        data = (value.get("trainingCompleted") or {}).get("data")
        if not isinstance(data, dict):
            raise MalformedDelivery("a TrainingCompleted record has trainingCompleted.data")
        events.append(NewWebhookEvent(_key(data.get("eventId")) or _hash(record), record))
    return events


def _moodle(body: JSONDict, _headers: Mapping[str, str]) -> list[NewWebhookEvent]:
    if "eventname" not in body:
        raise MalformedDelivery("a Moodle event has 'eventname' (the event's get_data())")
    if body["eventname"].strip("\\") != "core\\event\\course_completed":
        return []
    key = f"{body.get('objectid')}:{body.get('timecreated')}"
    return [NewWebhookEvent(key if body.get("objectid") else _hash(body), body)]


def _key(value: object) -> str | None:
    return str(value)[:200] if value not in (None, "") else None


def _hash(payload: object) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


_SPLITTERS: Final[dict[str, Callable[[JSONDict, Mapping[str, str]], list[NewWebhookEvent]]]] = {
    "generic": _generic,
    "canvas": _canvas,
    "docebo": _docebo,
    "litmos": _litmos,
    "360learning": _360learning,
    "cornerstone": _cornerstone,
    "moodle": _moodle,
}
