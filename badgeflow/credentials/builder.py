"""Many credentials of one issuer: `build_credential` with the shared parts built once.

Building a credential spends most of its time turning the issuer's ``Profile`` and the
achievement's ``Achievement`` into JSON (checking every id on the way), though both are
the same for every credential of an achievement. `CredentialBuilder` converts each once and
hands every document its own copy; the rest goes through `build_credential`'s own code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from badgeflow.credentials.build import (
    RecipientIdentity,
    _assemble,
    achievement_model,
    issuer_profile,
)
from badgeflow.credentials.ob3 import Achievement, Profile
from badgeflow.models import AchievementInfo, IssuerInfo, JSONDict

__all__ = ["CredentialBuilder", "CredentialSpec"]


class _Fixed:
    """A model whose JSON was computed once: each `to_json` returns a fresh copy of it."""

    __slots__ = ("json",)

    def __init__(self, json: JSONDict) -> None:
        self.json = json

    def to_json(self) -> JSONDict:
        return {key: _copy(item) for key, item in self.json.items()}


def _copy(value: Any) -> Any:
    if type(value) is dict:
        return {key: _copy(item) for key, item in value.items()}
    if type(value) is list:
        return [_copy(item) for item in value]
    return value


@dataclass(frozen=True)
class CredentialSpec:
    """The arguments of `CredentialBuilder.build` for one credential, its achievement by slug.

    Small and picklable: a signing worker builds the credential from it (`build_spec`), so
    the parent process sends a few fields per credential instead of the unsigned document.
    """

    credential_id: str
    achievement: str
    recipient_email: str
    salt: str
    valid_from: datetime
    valid_until: datetime | None
    awarded_at: datetime
    score: float | None
    credential_status: tuple[JSONDict, ...] = ()
    recipient_identity: RecipientIdentity = "hashed_email"
    recipient_did: str | None = None


class CredentialBuilder:
    """`build_credential` for many credentials of one issuer, each part's JSON built once.

    The issuer's ``Profile`` and each achievement's ``Achievement`` (with and without the
    score description) are converted to JSON on first use; everything else goes through the
    same models and checks as `build_credential`, so the documents are equal to its own.
    Each document gets its own copy of the shared parts (mutating one leaves the rest alone).
    Achievements are recognised by identity: keep one builder per batch of catalog reads.

    Example:
        >>> builder = CredentialBuilder(runtime.issuer)  # doctest: +SKIP
        >>> doc = builder.build(credential_id=..., achievement=info, ...)  # doctest: +SKIP
    """

    def __init__(self, issuer: IssuerInfo) -> None:
        """Prepare a builder for ``issuer``'s credentials."""
        self._issuer = _Fixed(issuer_profile(issuer).to_json())
        self._achievements: dict[tuple[int, bool], tuple[AchievementInfo, _Fixed]] = {}

    def _achievement(self, achievement: AchievementInfo, with_score: bool) -> _Fixed:
        key = (id(achievement), with_score)
        cached = self._achievements.get(key)
        if cached is None or cached[0] is not achievement:
            model = achievement_model(achievement, with_score=with_score)
            cached = self._achievements[key] = (achievement, _Fixed(model.to_json()))
        return cached[1]

    def build(
        self,
        *,
        credential_id: str,
        achievement: AchievementInfo,
        recipient_email: str,
        salt: str,
        valid_from: datetime,
        valid_until: datetime | None,
        awarded_at: datetime,
        score: float | None,
        evidence_narrative: str | None = None,
        credential_status: Sequence[JSONDict] = (),
        recipient_identity: RecipientIdentity = "hashed_email",
        recipient_did: str | None = None,
    ) -> JSONDict:
        """Build one unsigned credential: the arguments and result of `build_credential`.

        Raises:
            CredentialError: as `build_credential`.
            ValueError: a datetime is naive.
        """
        return _assemble(
            credential_id=credential_id,
            issuer=lambda: cast(Profile, self._issuer),
            achievement=achievement,
            subject_achievement=lambda with_score: cast(
                Achievement, self._achievement(achievement, with_score)
            ),
            recipient_email=recipient_email,
            salt=salt,
            valid_from=valid_from,
            valid_until=valid_until,
            awarded_at=awarded_at,
            score=score,
            evidence_narrative=evidence_narrative,
            credential_status=credential_status,
            recipient_identity=recipient_identity,
            recipient_did=recipient_did,
        )

    def build_spec(
        self, spec: CredentialSpec, achievements: Mapping[str, AchievementInfo]
    ) -> JSONDict:
        """Build one unsigned credential from its spec (the same document as `build`).

        Args:
            spec: the credential's arguments.
            achievements: achievement by slug (``spec.achievement`` among them).

        Returns:
            The unsigned credential.

        Raises:
            CredentialError: as `build_credential`.
            KeyError: the spec's achievement is not in ``achievements``.
        """
        return self.build(
            credential_id=spec.credential_id,
            achievement=achievements[spec.achievement],
            recipient_email=spec.recipient_email,
            salt=spec.salt,
            valid_from=spec.valid_from,
            valid_until=spec.valid_until,
            awarded_at=spec.awarded_at,
            score=spec.score,
            credential_status=spec.credential_status,
            recipient_identity=spec.recipient_identity,
            recipient_did=spec.recipient_did,
        )
