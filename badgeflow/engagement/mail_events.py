"""Mail provider event exports (SendGrid Event Webhook JSON) into `MailEvent` rows.

A file is a JSON array of events or one JSON object per line (NDJSON), either possibly
gzipped. Each source's saved position (``engagement_cursors``, kind ``mail_events``) maps a
file's fingerprint (the digest of its first line, so a rotated, renamed or gzipped file is
recognised) to how many bytes of it were read: a growing NDJSON file is read on from there
(complete lines only; a gzipped file is finished, so its last line counts too), and a file
read to its end is skipped. ``(provider, event_id)`` is unique, so re-reading stores nothing
twice.

Events are matched to the credential through ``smtp-id`` (the Message-ID badgeflow set,
``email_outbox.message_id``); opens and clicks carry only ``sg_message_id``, whose prefix
is remembered from the delivery events of the same message. Events about messages
badgeflow did not send are counted as unmatched and not stored. The recipient's address is
never stored, and addresses are scrubbed from bounce reasons. A hard ``bounce`` also marks
the outbox row ``bounced``, exactly as a bounce report from the mailbox would.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from badgeflow import store
from badgeflow.metrics.cursor import load_position, save_position
from badgeflow.notify.bounces import scrub_addresses
from badgeflow.settings import MailEventSettings, Settings
from badgeflow.store.schema import EmailOutbox, MailEvent

__all__ = ["MailEventReport", "parse_sendgrid", "poll_mail_events"]

logger = logging.getLogger(__name__)

_FINGERPRINT_BYTES: Final = 65_536
_REMEMBERED_MESSAGES: Final = 20_000
_CHUNK: Final = 500
_TOKEN: Final = re.compile(r"[0-9a-f]{32}")


@dataclass
class MailEventReport:
    """What one poll of one mail event source did."""

    source: str
    files: int = 0
    """Files with something new read."""
    events: int = 0
    """Events read (valid JSON objects with an event name and time)."""
    stored: int = 0
    duplicates: int = 0
    """Events already stored by an earlier read."""
    unmatched: int = 0
    """Events about no email badgeflow sent (not stored)."""
    invalid: int = 0
    """Lines or items that are not a usable event."""
    bounces_marked: int = 0
    """Outbox rows newly marked ``bounced`` by a provider hard bounce."""
    kinds: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The figures as a plain dict."""
        return asdict(self)


@dataclass(frozen=True)
class _Event:
    event_id: str
    kind: str
    occurred_at: datetime
    smtp_id: str | None
    sg_prefix: str | None
    detail: str | None
    status: str | None


def parse_sendgrid(item: object) -> _Event | None:
    """One SendGrid event object as badgeflow keeps it (no address); None if unusable."""
    if not isinstance(item, dict):
        return None
    name, stamp = item.get("event"), item.get("timestamp")
    if not isinstance(name, str) or not isinstance(stamp, int | float) or not name:
        return None
    kind = "blocked" if name == "bounce" and item.get("type") == "blocked" else name
    event_id = item.get("sg_event_id")
    if not isinstance(event_id, str) or not event_id:
        canonical = json.dumps(item, sort_keys=True, separators=(",", ":"))
        event_id = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()[:48]
    smtp_id = item.get("smtp-id")
    smtp = smtp_id.strip() if isinstance(smtp_id, str) and smtp_id.strip() else None
    if smtp and not smtp.startswith("<"):
        smtp = f"<{smtp}>"
    sg = item.get("sg_message_id")
    prefix = sg.split(".filter")[0].strip("<>") if isinstance(sg, str) and sg else None
    status = item.get("status")
    return _Event(
        event_id=event_id[:255],
        kind=kind[:32],
        occurred_at=datetime.fromtimestamp(float(stamp), tz=UTC),
        smtp_id=smtp,
        sg_prefix=prefix,
        detail=_detail(item, kind),
        status=str(status) if status is not None else None,
    )


def _detail(item: dict[str, Any], kind: str) -> str | None:
    if kind == "click" and isinstance(item.get("url"), str):
        # The accept link's token is a secret of the learner's: keep the page, not the token.
        return _TOKEN.sub("<token>", item["url"].split("?")[0])[:2000]
    words = " ".join(str(item[k]) for k in ("status", "reason", "response") if item.get(k))
    return scrub_addresses(words)[:2000] if words else None


def _content(path: Path) -> tuple[bytes, bool]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data), True
    return data, False


def _fingerprint(data: bytes) -> str:
    first = data[:_FINGERPRINT_BYTES].split(b"\n", 1)[0]
    return hashlib.sha256(first).hexdigest()[:32]


def _items(data: bytes, start: int, finished: bool) -> tuple[Iterator[object], int, int]:
    """Items from byte `start`; returns them, the new offset and the count of bad lines."""
    if data.lstrip()[:1] == b"[":
        try:
            items = json.loads(data)
        except ValueError:
            return iter(()), start if not finished else len(data), 1
        return iter(items if isinstance(items, list) else [items]), len(data), 0
    end = len(data) if finished else data.rfind(b"\n") + 1
    parsed: list[object] = []
    bad = 0
    for line in data[start:end].splitlines():
        if line.strip():
            try:
                parsed.append(json.loads(line))
            except ValueError:
                bad += 1
    return iter(parsed), max(end, start), bad


def poll_mail_events(
    settings: Settings, sessions: sessionmaker[Session], *, clock: Callable[[], datetime]
) -> list[MailEventReport]:
    """Read what is new in every configured mail event source (`engagement.mail_events`).

    Args:
        settings: the ``[engagement]`` sources.
        sessions: session factory on a database at the current schema.
        clock: the run's clock (stamped on the saved positions).

    Returns:
        One report per source, in settings order.

    Raises:
        ConcurrentRun: another poll of a source committed first (that source rolled back).
    """
    return [_poll(source, sessions, clock()) for source in settings.engagement.mail_events]


def _poll(
    source: MailEventSettings, sessions: sessionmaker[Session], now: datetime
) -> MailEventReport:
    report = MailEventReport(source=source.name)
    with sessions.begin() as session:
        position = load_position(session, source.name, "mail_events")
        offsets: dict[str, int] = dict(position.state.get("files", {}))
        remembered: dict[str, str] = dict(position.state.get("messages", {}))
        events: list[_Event] = []
        for path in sorted(Path(p) for p in glob.glob(source.path)):
            if not path.is_file():
                continue
            data, finished = _content(path)
            fingerprint = _fingerprint(data)
            start = offsets.get(fingerprint, 0)
            if start >= len(data):
                continue
            items, offset, bad = _items(data, start, finished)
            parsed = [parse_sendgrid(item) for item in items]
            report.invalid += bad + sum(e is None for e in parsed)
            events.extend(e for e in parsed if e is not None)
            offsets[fingerprint] = offset
            report.files += 1
        report.events = len(events)
        for event in events:
            if event.smtp_id and event.sg_prefix:
                remembered.pop(event.sg_prefix, None)
                remembered[event.sg_prefix] = event.smtp_id
        _store(session, source, events, remembered, report)
        kept = dict(list(remembered.items())[-_REMEMBERED_MESSAGES:])
        save_position(session, position, {"files": offsets, "messages": kept}, at=now)
    logger.info("mail events %s: %s", source.name, report.as_dict())
    return report


def _store(
    session: Session,
    source: MailEventSettings,
    events: list[_Event],
    remembered: dict[str, str],
    report: MailEventReport,
) -> None:
    def message_of(event: _Event) -> str | None:
        return event.smtp_id or (remembered.get(event.sg_prefix) if event.sg_prefix else None)

    wanted = sorted({m for m in map(message_of, events) if m})
    credential_of: dict[str, str] = {}
    ids = sorted({e.event_id for e in events})
    seen: set[str] = set()
    for start in range(0, max(len(wanted), len(ids)), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        if chunk:
            found = session.execute(
                select(EmailOutbox.message_id, EmailOutbox.credential_id).where(
                    EmailOutbox.message_id.in_(chunk)
                )
            )
            credential_of.update({str(m): c for m, c in found})
        id_chunk = ids[start : start + _CHUNK]
        if id_chunk:
            seen.update(
                session.scalars(
                    select(MailEvent.event_id).where(
                        MailEvent.provider == source.format, MailEvent.event_id.in_(id_chunk)
                    )
                )
            )
    rows: list[dict[str, Any]] = []
    for event in events:
        message_id = message_of(event)
        credential_id = credential_of.get(message_id) if message_id else None
        if credential_id is None:
            report.unmatched += 1
            continue
        if event.event_id in seen:
            report.duplicates += 1
            continue
        seen.add(event.event_id)
        report.kinds[event.kind] = report.kinds.get(event.kind, 0) + 1
        rows.append(
            {
                "source": source.name,
                "provider": source.format,
                "event_id": event.event_id,
                "kind": event.kind,
                "occurred_at": event.occurred_at,
                "message_id": message_id,
                "credential_id": credential_id,
                "detail": event.detail,
            }
        )
        if event.kind == "bounce" and message_id:
            outcome = store.record_bounce(
                session,
                message_id,
                status=(event.status or "5.0.0")[:16],
                diagnostic=event.detail or "provider bounce event",
                hard=True,
                at=event.occurred_at,
            )
            report.bounces_marked += int(outcome.changed)
    if rows:
        session.execute(insert(MailEvent), rows)
    report.stored = len(rows)
