"""A fake webhook *sender*: each vendor's completion event, signed or tokened as it sends it.

Payload shapes follow API_NOTES "Events / webhooks" (Canvas live event, Docebo webhook
message, Litmos ``achievement.earned``, 360Learning ``course.attempt.closed`` with Standard
Webhooks headers, Cornerstone batched ``records[]``, Moodle ``course_completed`` event data)
and badgeflow's generic event. Tests and the demo post them to the intake.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from badgeflow.intake.auth import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_generic, sign_standard

__all__ = ["Delivery", "completion_event", "signed"]


@dataclass(frozen=True)
class Delivery:
    """One HTTP POST as the vendor sends it."""

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


def completion_event(
    vendor: str,
    *,
    event_id: str,
    user_id: str,
    email: str,
    course_id: str,
    completed_at: datetime,
    score: float | None = None,
) -> dict[str, Any]:
    """Build one vendor's completion event.

    Args:
        vendor: generic, canvas, docebo, litmos, 360learning, cornerstone or moodle.
        event_id: the vendor's event/message id.
        user_id: learner id in the LMS.
        email: learner email (only where the vendor's event carries it).
        course_id: course id in the LMS.
        completed_at: completion time (aware).
        score: generic only.

    Returns:
        The JSON body.
    """
    iso = completed_at.isoformat().replace("+00:00", "Z")
    if vendor == "generic":
        return {
            "event_id": event_id,
            "learner_email": email,
            "learner_name": "Ada Lovelace",
            "learner_id": user_id,
            "course_id": course_id,
            "course_name": "Data Safety",
            "completed_at": iso,
            "score": score,
        }
    if vendor == "canvas":
        return {
            "metadata": {
                "event_name": "course_completed",
                "event_time": iso,
                "request_id": event_id,
            },
            "body": {
                "progress": {
                    "requirement_count": 4,
                    "requirement_completed_count": 4,
                    "completed_at": iso,
                },
                "user": {"id": f"2107000000{user_id:0>7}", "name": "Ada Lovelace", "email": email},
                "course": {"id": f"2107000000{course_id:0>7}", "name": "Data Safety"},
            },
        }
    if vendor == "docebo":
        return {
            "message_id": event_id,
            "webhook_id": 7,
            "original_domain": "acme.docebosaas.com",
            "event": "course.enrollment.completed",
            "fired_by_batch_action": False,
            "payload": {
                "fired_at": completed_at.strftime("%Y-%m-%d %H:%M:%S"),
                "completion_date": completed_at.strftime("%Y-%m-%d %H:%M:%S"),
                "user_id": int(user_id),
                "username": email,
                "course_id": int(course_id),
                "course_name": "Data Safety",
                "status": "completed",
            },
        }
    if vendor == "litmos":
        return {
            "id": int(event_id),
            "created": iso,
            "type": "achievement.earned",
            "object": "event",
            "data": {
                "userId": user_id,
                "userName": email,
                "firstName": "Ada",
                "lastName": "Lovelace",
                "courseId": course_id,
                "title": "Data Safety",
                "achievementDate": completed_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
                "result": "Completed",
                "type": "Course Completed",
            },
        }
    if vendor == "360learning":
        return {
            "type": "course.attempt.closed",
            "timestamp": int(completed_at.timestamp()),
            "data": {
                "attemptId": event_id,
                "closedAt": iso,
                "userId": user_id,
                "courseId": course_id,
                "reason": "learnerFinished",
                "context": {},
            },
        }
    if vendor == "cornerstone":
        data = {
            "eventId": event_id,
            "trainingId": course_id,
            "targetUserId": int(user_id),
            "targetUsername": email,
            "targetUserFirstName": "Ada",
            "targetUserLastName": "Lovelace",
            "trainingTitle": "Data Safety",
            "trainingActionDateTimestamp": iso,
        }
        value = {"lmsEventsCase": "TrainingCompleted", "trainingCompleted": {"data": data}}
        return {"records": [{"offset": 1, "timestamp": iso, "value": value}], "attemptNumber": 1}
    if vendor == "moodle":
        return {
            "eventname": "\\core\\event\\course_completed",
            "objectid": int(event_id),
            "relateduserid": int(user_id),
            "courseid": int(course_id),
            "timecreated": int(completed_at.timestamp()),
            "crud": "u",
        }
    raise ValueError(f"unknown vendor {vendor!r}")


def signed(
    vendor: str,
    payload: dict[str, Any],
    *,
    auth: str,
    secret: str,
    now: datetime,
    header: str = "X-Badgeflow-Token",
    msg_id: str = "msg_1",
) -> Delivery:
    """Serialise a payload and authenticate it as the source's `auth` says.

    Args:
        vendor: the payload format (picks the hmac scheme).
        payload: the JSON body.
        auth: hmac, bearer, header or query.
        secret: the shared secret.
        now: the sender's clock (the signature timestamp).
        header: the header name for ``auth == "header"``.
        msg_id: the 360Learning ``webhook-id``.

    Returns:
        The delivery.
    """
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    stamp = str(int(now.timestamp()))
    if auth == "bearer":
        return Delivery(body, headers | {"Authorization": f"Bearer {secret}"})
    if auth == "header":
        return Delivery(body, headers | {header: secret})
    if auth == "query":
        return Delivery(body, headers, {"token": secret})
    if vendor == "360learning":
        signature = sign_standard(secret, msg_id, stamp, body)
        return Delivery(
            body,
            headers
            | {
                "webhook-id": msg_id,
                "webhook-timestamp": stamp,
                "webhook-signature": f"v1,{signature}",
            },
        )
    signature = sign_generic(secret, stamp, body)
    return Delivery(
        body, headers | {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: f"sha256={signature}"}
    )
