"""Read what the demo traffic simulator needs from the store: credentials and award emails.

Part of the demo traffic simulator (`badgeflow.demo.traffic`), not of the pipeline.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from badgeflow.credentials.document_loader import PINNED_URLS
from badgeflow.demo._traffic_site import SimCredential, SimEmail, Site
from badgeflow.site.verifier_assets import context_file
from badgeflow.store.schema import Award, Credential, EmailOutbox


def read_credentials(sessions: sessionmaker[Session], site: Site) -> list[SimCredential]:
    """Read the issued credentials and their sent award emails, oldest first.

    Args:
        sessions: the store's session factory (only read).
        site: the site the traffic is simulated for (its status lists and DID document).

    Returns:
        One record per credential; ``email`` is None when no award email was sent.
    """
    did_document = "did.json" if site.prefix != "/" else ".well-known/did.json"
    with sessions() as session:
        emails = {
            row.credential_id: SimEmail(
                row.to_address,
                row.message_id or "",
                row.sent_at or row.created_at,
                bounced=row.status == "bounced",
            )
            for row in session.scalars(
                select(EmailOutbox).where(
                    EmailOutbox.kind == "award",
                    EmailOutbox.message_id.is_not(None),
                    EmailOutbox.status.in_(("sent", "bounced")),
                )
            )
        }
        rows = session.execute(
            select(Credential, Award.achievement_id, Award.status)
            .join(Award, Award.id == Credential.award_id)
            .order_by(Credential.issued_at, Credential.id)
        ).all()
        found = []
        for credential, achievement, status in rows:
            document: dict[str, Any] = json.loads(credential.document)
            contexts = [c for c in document.get("@context", []) if c in PINNED_URLS]
            entries = document.get("credentialStatus", [])
            lists = {
                e["statusListCredential"][len(site.prefix_url) :]
                for e in (entries if isinstance(entries, list) else [entries])
                if str(e.get("statusListCredential", "")).startswith(site.prefix_url)
            }
            proofs = document.get("proof", [])
            methods = [
                p.get("verificationMethod", "")
                for p in (proofs if isinstance(proofs, list) else [proofs])
            ]
            found.append(
                SimCredential(
                    credential_id=credential.id,
                    accept_token=credential.accept_token,
                    issued_at=_utc(credential.issued_at),
                    achievement=achievement,
                    status=status,
                    contexts=tuple(context_file(c) for c in contexts),
                    status_lists=tuple(sorted(lists)),
                    did_document=did_document
                    if any(m.startswith("did:web:") for m in methods)
                    else None,
                    email=_utc_email(emails.get(credential.id)),
                )
            )
    return found


def _utc(at: datetime) -> datetime:
    # SQLite returns naive datetimes; the store keeps UTC.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _utc_email(email: SimEmail | None) -> SimEmail | None:
    if email is None:
        return None
    return SimEmail(email.to_address, email.message_id, _utc(email.sent_at), email.bounced)
