"""Sign an OB 3.0 ``EndorsementCredential`` about an achievement (e.g. by a partner body)."""

from __future__ import annotations

from datetime import datetime

from badgeflow.credentials.ob3 import EndorsementCredential, EndorsementSubject, Profile
from badgeflow.credentials.proof import issue
from badgeflow.credentials.signer import Signer
from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict

__all__ = ["sign_endorsement"]


def sign_endorsement(
    *,
    endorsement_id: str,
    achievement_id: str,
    achievement_name: str,
    endorser: Profile,
    signer: Signer,
    created: datetime,
    comment: str | None = None,
    valid_until: datetime | None = None,
) -> JSONDict:
    """Build and sign an ``EndorsementCredential`` whose subject is an achievement.

    Example:
        >>> sign_endorsement(endorsement_id="urn:uuid:...", ...)  # doctest: +SKIP

    Args:
        endorsement_id: the endorsement's id (``urn:uuid:...``).
        achievement_id: the endorsed achievement's id (its URL on the issuer's site).
        achievement_name: shown in the endorsement's name.
        endorser: the endorsing organisation; its id must be the DID controlling the key.
        signer: the endorser's key.
        created: ``validFrom`` and the proof's ``created`` time (aware).
        comment: the endorsement's Markdown ``endorsementComment``.
        valid_until: when the endorsement lapses, or None.

    Returns:
        The signed endorsement, ready to be listed in the catalog. Its ``proof`` is a
        one-element array, the form the OB 3.0 JSON Schemas require (VC 2.0 allows both;
        the signature is the same).

    Raises:
        CredentialError: an id is not absolute, or the key is not the endorser's.
    """
    if signer.verification_method.partition("#")[0] != endorser.id:
        raise CredentialError(
            f"the signing key {signer.verification_method} is not controlled by the "
            f"endorser {endorser.id}"
        )
    unsigned = EndorsementCredential(
        id=endorsement_id,
        name=f"{endorser.name or endorser.id} endorses {achievement_name}",
        issuer=endorser,
        valid_from=created,
        valid_until=valid_until,
        credential_subject=EndorsementSubject(id=achievement_id, endorsement_comment=comment),
    ).to_json()
    return issue(unsigned, signer, created=created, proof_as_array=True)
