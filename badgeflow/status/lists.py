"""Status list credentials and the ``credentialStatus`` entries pointing into them.

Every purpose (``revocation``, ``suspension``) has its own numbered lists, published on the
verification site at ``{base}/status/{purpose}/{n}``. A credential's entry names one bit of
one list; the list credential is re-signed with the issuer key on every publish. All terms
(``BitstringStatusListEntry``, ``BitstringStatusListCredential``, ``BitstringStatusList``,
``encodedList``...) are defined by the VC 2.0 context, so no extra context is needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final, Literal, get_args

from badgeflow.credentials.document_loader import VC_V2_URL, DocumentLoader, strict_document_loader
from badgeflow.credentials.proof import format_datetime, issue
from badgeflow.credentials.signer import Signer
from badgeflow.models import JSONDict
from badgeflow.site.layout import join_url
from badgeflow.status.bitstring import MIN_LIST_LENGTH, encode_bitstring

__all__ = [
    "ENTRY_TYPE",
    "LIST_CREDENTIAL_TYPE",
    "STATUS_PURPOSES",
    "StatusPurpose",
    "build_status_list_credential",
    "status_entry",
    "status_list_path",
    "status_list_url",
]

StatusPurpose = Literal["revocation", "suspension"]
STATUS_PURPOSES: Final[tuple[StatusPurpose, ...]] = get_args(StatusPurpose)
ENTRY_TYPE: Final = "BitstringStatusListEntry"
LIST_CREDENTIAL_TYPE: Final = "BitstringStatusListCredential"


def status_list_path(purpose: str, list_number: int) -> str:
    """Site-relative path of a status list credential: ``status/<purpose>/<n>``.

    The file has no extension (its URL is the credential id); serve it as ``application/json``.

    Raises:
        ValueError: unknown purpose or a list number below 1.
    """
    if purpose not in STATUS_PURPOSES or list_number < 1:
        raise ValueError(f"no status list {purpose!r} #{list_number}")
    return f"status/{purpose}/{list_number}"


def status_list_url(base_url: str, purpose: str, list_number: int) -> str:
    """Absolute URL of a status list credential on the site at ``base_url``."""
    return join_url(base_url, status_list_path(purpose, list_number))


def status_entry(*, list_url: str, index: int, purpose: str) -> JSONDict:
    """Build one ``credentialStatus`` entry (a ``BitstringStatusListEntry``).

    Args:
        list_url: URL of the status list credential.
        index: the credential's bit in that list.
        purpose: ``revocation`` or ``suspension``.

    Returns:
        ``{id, type, statusPurpose, statusListIndex, statusListCredential}``; the index is a
        base-10 string, as the spec requires.

    Raises:
        ValueError: unknown purpose or a negative index.
    """
    if purpose not in STATUS_PURPOSES or index < 0:
        raise ValueError(f"no status entry {purpose!r} #{index}")
    return {
        "id": f"{list_url}#{index}",
        "type": ENTRY_TYPE,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def build_status_list_credential(
    *,
    list_url: str,
    purpose: str,
    issuer_id: str,
    set_indices: Iterable[int],
    valid_from: datetime,
    signer: Signer,
    length: int = MIN_LIST_LENGTH,
    loader: DocumentLoader = strict_document_loader,
) -> JSONDict:
    """Build and sign a ``BitstringStatusListCredential``.

    Args:
        list_url: the list's URL, which is also the credential's ``id``.
        purpose: what a set bit means: ``revocation`` or ``suspension``.
        issuer_id: the issuer (must be the issuer of the credentials pointing here).
        set_indices: the indices whose bit is set.
        valid_from: the publish time (``validFrom`` and ``proof.created``).
        signer: the issuer's signer.
        length: number of entries; at least 131,072.
        loader: the JSON-LD document loader.

    Returns:
        The signed status list credential.

    Raises:
        ValueError: unknown purpose, an index outside the list, or a length too small.
        CredentialError: signing failed (see `badgeflow.credentials.issue`).
    """
    if purpose not in STATUS_PURPOSES:
        raise ValueError(f"unknown status purpose {purpose!r}")
    unsigned: JSONDict = {
        "@context": [VC_V2_URL],
        "id": list_url,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": issuer_id,
        "validFrom": format_datetime(valid_from),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_bitstring(set_indices, length),
        },
    }
    return issue(unsigned, signer, created=valid_from, loader=loader)
