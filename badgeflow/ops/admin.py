"""Admin actions shared by the CLI and the Prefect admin flows: status changes, key rotation.

Each returns a summary (plain data, a Markdown rendering for the Prefect UI) instead of
printing, so ``badgeflow revoke`` / ``badgeflow keys rotate`` and the ``revoke-credentials`` /
``rotate-signing-key`` flows do exactly the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from badgeflow.credentials import did_key_from_public_key
from badgeflow.credentials.keyring import Keyring, LegacyKey
from badgeflow.errors import BadgeflowError, ConfigurationError
from badgeflow.secrets import require_resolved
from badgeflow.settings import Settings
from badgeflow.store import StatusAction

if TYPE_CHECKING:
    from badgeflow.pipeline.runtime import Runtime
    from badgeflow.pipeline.status import StatusRequest, StatusResult
    from badgeflow.site.inputs import SiteReport

__all__ = ["KeyRotation", "StatusChangeSummary", "change_credential_statuses", "rotate_signing_key"]

_PURPOSE_NEEDED = {"revoke": "revocation", "suspend": "suspension", "reinstate": "suspension"}


@dataclass
class StatusChangeSummary:
    """What a revoke / suspend / reinstate request did, row by row, and what followed."""

    action: StatusAction
    results: list[StatusResult]
    emails_sent: int = 0
    emails_failed: int = 0
    emails_error: str | None = None
    site: SiteReport | None = None
    publish_error: str | None = None
    invisible: list[str] = field(default_factory=list)
    """Changed credentials without the status entry a verifier would need to see it."""

    @property
    def changed(self) -> int:
        """How many credentials changed."""
        return sum(1 for r in self.results if r.change.changed)

    @property
    def problems(self) -> int:
        """How many requests changed nothing (unknown id, already revoked...)."""
        return len(self.results) - self.changed

    @property
    def emails_queued(self) -> int:
        """How many learner emails the change queued."""
        return sum(1 for r in self.results if r.outbox_id is not None)

    def as_dict(self) -> dict[str, object]:
        """The summary as JSON-ready data (the flow's return value)."""
        return {
            "action": self.action,
            "changed": [r.change.credential_id for r in self.results if r.change.changed],
            "not_changed": {
                r.change.credential_id: r.change.problem
                for r in self.results
                if not r.change.changed
            },
            "without_status_entry": list(self.invisible),
            "emails_queued": self.emails_queued,
            "emails_sent": self.emails_sent,
            "emails_failed": self.emails_failed,
            "emails_error": self.emails_error,
            "site_published": self.site is not None,
            "publish_error": self.publish_error,
        }

    def markdown(self) -> str:
        """A Markdown report of the change (a Prefect artifact)."""
        rows = [
            f"| `{r.change.credential_id}` | {r.change.previous or '-'} | "
            f"{r.change.status if r.change.changed else '(unchanged)'} | "
            f"{r.change.problem or ''} |"
            for r in self.results
        ]
        site = (
            f"published to `{self.site.output_dir}` (status lists re-signed where they changed)"
            if self.site
            else (f"NOT published: {self.publish_error}" if self.publish_error else "not published")
        )
        lines = [
            f"# {self.action}: {self.changed} changed, {self.problems} not changed",
            "",
            "| credential | before | after | problem |",
            "|---|---|---|---|",
            *rows,
            "",
            f"- emails: {self.emails_queued} queued, {self.emails_sent} sent, "
            f"{self.emails_failed} failed"
            + (f" ({self.emails_error})" if self.emails_error else ""),
            f"- site: {site}",
        ]
        if self.invisible:
            lines.append(
                f"- {len(self.invisible)} credential(s) carry no "
                f"{_PURPOSE_NEEDED[self.action]} status entry: only their page shows the change"
            )
        return "\n".join(lines) + "\n"


def change_credential_statuses(
    runtime: Runtime,
    action: StatusAction,
    requests: Sequence[StatusRequest],
    *,
    actor: str,
    at: datetime,
    notify: bool,
    publish: bool,
) -> StatusChangeSummary:
    """Revoke, suspend or reinstate credentials, email the learners, re-publish the site.

    Args:
        runtime: resources built from settings.
        action: ``revoke``, ``suspend`` or ``reinstate``.
        requests: one per credential (id, reason, a label for reports).
        actor: who asks (audit trail).
        at: the clock: the audit time, the send time and the status lists' ``validFrom``.
        notify: queue a revocation email per revoked credential and send them now.
        publish: re-publish the site when anything changed, so the status lists carry it.

    Returns:
        The summary. Unsendable emails stay queued (``emails_error``); a site that could not
        be published is reported in ``publish_error``, the status changes stand.

    Raises:
        BadgeflowError: the change could not be applied at all (no database, say).
    """
    from badgeflow.pipeline import change_statuses, publish_site, send_emails

    results = change_statuses(runtime, requests, action, actor=actor, at=at, notify=notify)
    summary = StatusChangeSummary(action, results)
    summary.invisible = [
        r.change.credential_id
        for r in results
        if r.change.changed and _PURPOSE_NEEDED[action] not in r.change.purposes
    ]
    outbox = [r.outbox_id for r in results if r.outbox_id is not None]
    if outbox:
        try:
            sent = send_emails(runtime, outbox, now=at)
        except BadgeflowError as exc:  # mail settings unusable (TLS, login): the change stands
            summary.emails_error = str(exc)
        else:
            summary.emails_sent, summary.emails_failed = sent.sent, sent.failed
    if summary.changed and publish:
        try:
            summary.site = publish_site(runtime, generated_at=at)
        except BadgeflowError as exc:
            summary.publish_error = str(exc)
    return summary


@dataclass(frozen=True)
class KeyRotation:
    """The outcome of a signing key rotation."""

    previous: str
    new: str
    verification_method: str
    issuer_did: str
    did_key: bool

    def markdown(self) -> str:
        """A Markdown report of the rotation (a Prefect artifact); public information only."""
        lines = [
            f"# Signing key rotated: {self.previous} -> {self.new}",
            "",
            f"- retired: `{self.previous}` (stays in did.json: earlier credentials still verify)",
            f"- current: `{self.new}`, verification method `{self.verification_method}`",
            f"- issuer: `{self.issuer_did}`",
        ]
        if self.did_key:
            lines.append("- did:key: the issuer id changed with the key")
        return "\n".join(lines) + "\n"


def rotate_signing_key(
    settings: Settings, *, now: datetime, new_issuer: bool = False
) -> KeyRotation:
    """Make a new current Ed25519 key; the previous one is retired but stays published.

    Args:
        settings: the settings (``signing.passphrase`` already resolved).
        now: creation time of the new key (aware).
        new_issuer: with did:key, rotate even though status lists are in use.

    Returns:
        The previous and new key ids and the new verification method.

    Raises:
        ConfigurationError: did:key with status lists and no `new_issuer`, a wrong
            passphrase, or an unreadable keyring.
    """
    signing = settings.signing
    did_key = signing.method == "did:key"
    if did_key and settings.issuance.status_purposes and not new_issuer:
        raise ConfigurationError(
            "refusing to rotate: with did:key the issuer id IS the key, so rotating creates a new "
            "issuer. Status lists are signed by the current issuer, and strict verifiers reject a "
            "list whose issuer differs from the credential's, so revocation checks of credentials "
            "issued before the rotation would fail. Use did:web (the default) for rotatable keys, "
            "or pass --new-issuer to accept this."
        )
    require_resolved(settings, only="signing.passphrase")
    passphrase = signing.passphrase.get_secret_value() if signing.passphrase else None
    keyring = Keyring.load(
        signing.keys_dir, passphrase, legacy=LegacyKey(signing.key_path, signing.key_id)
    )
    previous = keyring.current.key_id
    new = keyring.rotate(now)
    issuer = (
        did_key_from_public_key(keyring.current.public_key) if did_key else settings.site.issuer_did
    )
    method = keyring.current.verification_method(None if did_key else settings.site.issuer_did)
    return KeyRotation(previous, new, method, issuer, did_key)
