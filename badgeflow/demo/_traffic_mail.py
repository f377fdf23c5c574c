"""The demo's mail events, as a SendGrid Event Webhook export (a JSON array of events).

Part of the demo traffic simulator (`badgeflow.demo.traffic`), not of the pipeline. Field
names follow SendGrid's Event Webhook reference: every event has ``email``, ``timestamp``,
``event``, ``smtp-id`` (here the ``Message-ID`` badgeflow set, as the outbox recorded it),
``sg_event_id`` and ``sg_message_id``; delivery events add ``response``/``attempt`` or
``reason``/``status``/``type``, engagement events ``useragent``/``ip`` (and ``url`` for clicks,
``sg_machine_open`` for opens).
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from badgeflow.demo._traffic_agents import BOTS_V4
from badgeflow.demo._traffic_site import SimEmail

CATEGORY = "badge-award"
_SENDER_IP = str(BOTS_V4.network_address + 250)  # SendGrid's outbound address (documentation range)
_PROXY_IP = str(BOTS_V4.network_address + 90)  # a mailbox provider's image proxy


def _token(rng: random.Random, size: int) -> str:
    return base64.b64encode(rng.getrandbits(size * 8).to_bytes(size, "big")).decode("ascii")


def sendgrid_events(
    emails: Sequence[tuple[SimEmail, list[tuple[datetime, str, dict[str, Any]]]]],
    *,
    seed: int,
) -> list[dict[str, Any]]:
    """Turn each email's simulated moments into SendGrid events, oldest first.

    Args:
        emails: each award email with its ``(time, event, extras)`` moments.
        seed: the simulation's seed (event ids are drawn from it).

    Returns:
        The events, ordered by timestamp (stable for equal ones).
    """
    rng = random.Random(f"{seed}:sendgrid")
    events: list[tuple[datetime, int, dict[str, Any]]] = []
    for email, moments in emails:
        sg_message_id = (
            f"{_token(rng, 16).rstrip('=').replace('+', '-').replace('/', '_')}"
            f".recvd-{rng.getrandbits(36):09x}-{rng.randint(1, 9)}-{rng.getrandbits(32):08X}"
            f"-{rng.randint(1, 40)}.0"
        )
        for at, kind, extras in moments:
            event: dict[str, Any] = {
                "email": email.to_address,
                "timestamp": int(at.timestamp()),
                "smtp-id": email.message_id,
                "event": kind,
                "category": [CATEGORY],
                "sg_event_id": _token(rng, 16),
                "sg_message_id": sg_message_id,
            }
            event.update(_details(kind, extras))
            events.append((at, len(events), event))
    return [event for _, _, event in sorted(events, key=lambda item: (item[0], item[1]))]


def _details(kind: str, extras: dict[str, Any]) -> dict[str, Any]:
    if kind == "deferred":
        return {
            "response": "451 4.7.1 Greylisted, please try again in 5 minutes",
            "attempt": extras.get("attempt", "1"),
            "ip": _SENDER_IP,
        }
    if kind == "delivered":
        return {"response": "250 2.0.0 OK", "ip": _SENDER_IP, "tls": 1}
    if kind == "bounce":
        return {
            "reason": "550 5.1.1 The email account that you tried to reach does not exist.",
            "status": "5.1.1",
            "type": "bounce",
            "bounce_classification": "Invalid Address",
            "ip": _SENDER_IP,
            "tls": 1,
        }
    if kind == "open":
        if extras.get("machine"):
            return {"useragent": "Mozilla/5.0", "ip": _PROXY_IP, "sg_machine_open": True}
        return {"useragent": extras["useragent"], "ip": extras["ip"], "sg_machine_open": False}
    if kind == "click":
        return {
            "useragent": extras["useragent"],
            "ip": extras["ip"],
            "url": extras["url"],
            "url_offset": {"index": 0, "type": "html"},
        }
    return {}


def dumps_events(events: Sequence[dict[str, Any]]) -> str:
    """The export file's text: a JSON array, one event per line."""
    if not events:
        return "[]\n"
    return "[\n" + ",\n".join(json.dumps(event) for event in events) + "\n]\n"
