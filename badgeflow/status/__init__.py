"""Revocation and suspension with the W3C Bitstring Status List (v1.0).

Example:
    >>> entry = status_entry(list_url=status_list_url(base, "revocation", 1), index=7,
    ...                      purpose="revocation")  # doctest: +SKIP
    >>> listing = build_status_list_credential(list_url=..., purpose="revocation",
    ...     issuer_id=did, set_indices=[7], valid_from=now, signer=signer)  # doctest: +SKIP
"""

from __future__ import annotations

from badgeflow.status.bitstring import (
    MIN_LIST_LENGTH,
    bit_is_set,
    decode_bitstring,
    encode_bitstring,
    set_bits,
)
from badgeflow.status.check import StatusCheck, check_status, status_entries
from badgeflow.status.lists import (
    STATUS_PURPOSES,
    StatusPurpose,
    build_status_list_credential,
    status_entry,
    status_list_path,
    status_list_url,
)

__all__ = [
    "MIN_LIST_LENGTH",
    "STATUS_PURPOSES",
    "StatusCheck",
    "StatusPurpose",
    "bit_is_set",
    "build_status_list_credential",
    "check_status",
    "decode_bitstring",
    "encode_bitstring",
    "set_bits",
    "status_entries",
    "status_entry",
    "status_list_path",
    "status_list_url",
]
