"""Signers, Ed25519 Multikey encoding (multibase base58btc) and did:key identifiers.

Multikey (W3C Controlled Identifiers / Data Integrity): an Ed25519 public key is the
multicodec header ``0xed 0x01`` followed by the 32 key bytes, multibase-encoded as ``z`` +
base58btc, so it always starts ``z6Mk``. A secret key uses the header ``0x80 0x26``.
``did:key:<multikey>`` names the key itself; its method id is ``did:key:<mk>#<mk>``.
"""

from __future__ import annotations

from typing import Final, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from badgeflow.errors import CredentialError

__all__ = [
    "ED25519_PUB_HEADER",
    "ED25519_SECRET_HEADER",
    "Ed25519Signer",
    "Signer",
    "b58decode",
    "b58encode",
    "did_key_from_public_key",
    "did_key_verification_method",
    "multibase_decode",
    "multibase_encode",
    "private_key_from_multibase",
    "public_key_from_multibase",
    "public_key_multibase",
    "secret_key_multibase",
]

ED25519_PUB_HEADER: Final = b"\xed\x01"
ED25519_SECRET_HEADER: Final = b"\x80\x26"

_B58_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX: Final = {char: index for index, char in enumerate(_B58_ALPHABET)}
_B58_PAIRS: Final = tuple(first + second for first in _B58_ALPHABET for second in _B58_ALPHABET)
_B58_PAIR_COUNT: Final = 58 * 58
_B58_CHUNK: Final = 58**5


class Signer(Protocol):
    """Something that signs bytes with the key named by a verification method.

    Attributes:
        verification_method: absolute URL of the public key (``did:web:...#key-1``).
    """

    @property
    def verification_method(self) -> str:
        """Absolute URL of the public key that verifies this signer's signatures."""
        ...

    def sign(self, data: bytes) -> bytes:
        """Return the signature of ``data``."""
        ...


def b58encode(data: bytes) -> str:
    """Encode bytes in base58 with the Bitcoin alphabet.

    Args:
        data: the bytes to encode.

    Returns:
        The base58btc text; each leading zero byte becomes a ``1``.
    """
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    # Five digits per division: 58**5 fits one 30-bit CPython digit, the fast division path.
    chunks: list[str] = []
    while number:
        number, chunk = divmod(number, _B58_CHUNK)
        high, low = divmod(chunk, _B58_PAIR_COUNT)
        top, middle = divmod(high, _B58_PAIR_COUNT)
        chunks += (_B58_PAIRS[low], _B58_PAIRS[middle], _B58_ALPHABET[top])
    # The top chunk is padded with zero digits ("1"); the first significant digit is not one.
    return "1" * zeros + "".join(reversed(chunks)).lstrip("1")


def b58decode(text: str) -> bytes:
    """Decode base58btc text.

    Args:
        text: base58 text in the Bitcoin alphabet.

    Returns:
        The decoded bytes.

    Raises:
        CredentialError: ``text`` has a character outside the alphabet.
    """
    number = 0
    for char in text:
        digit = _B58_INDEX.get(char)
        if digit is None:
            raise CredentialError(f"invalid base58 character {char!r}")
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def multibase_encode(data: bytes) -> str:
    """Encode bytes as multibase base58btc (``z`` prefix)."""
    return "z" + b58encode(data)


def multibase_decode(text: str) -> bytes:
    """Decode a multibase base58btc string.

    Raises:
        CredentialError: the string is not ``z`` + base58btc.
    """
    if not text.startswith("z"):
        raise CredentialError("only multibase base58btc ('z' prefix) is supported")
    return b58decode(text[1:])


def _raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_multibase(public_key: Ed25519PublicKey) -> str:
    """Encode an Ed25519 public key as a Multikey ``publicKeyMultibase`` (``z6Mk...``)."""
    return multibase_encode(ED25519_PUB_HEADER + _raw_public_bytes(public_key))


def public_key_from_multibase(text: str) -> Ed25519PublicKey:
    """Decode a Multikey ``publicKeyMultibase`` into an Ed25519 public key.

    Raises:
        CredentialError: not base58btc, not the Ed25519 header, or not 32 key bytes.
    """
    raw = multibase_decode(text)
    if not raw.startswith(ED25519_PUB_HEADER) or len(raw) != 34:
        raise CredentialError(f"{text!r} is not an Ed25519 Multikey public key")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def secret_key_multibase(private_key: Ed25519PrivateKey) -> str:
    """Encode an Ed25519 private key as a Multikey ``secretKeyMultibase`` (header + seed)."""
    seed = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return multibase_encode(ED25519_SECRET_HEADER + seed)


def private_key_from_multibase(text: str) -> Ed25519PrivateKey:
    """Decode a Multikey ``secretKeyMultibase`` (32-byte seed, or seed ‖ public key).

    Raises:
        CredentialError: not the Ed25519 secret header or a wrong length.
    """
    raw = multibase_decode(text)
    if not raw.startswith(ED25519_SECRET_HEADER) or len(raw) not in (34, 66):
        raise CredentialError("not an Ed25519 Multikey secret key")
    return Ed25519PrivateKey.from_private_bytes(raw[2:34])


def did_key_from_public_key(public_key: Ed25519PublicKey) -> str:
    """Return the ``did:key`` DID of an Ed25519 public key."""
    return "did:key:" + public_key_multibase(public_key)


def did_key_verification_method(public_key: Ed25519PublicKey) -> str:
    """Return the verification method id ``did:key:<mk>#<mk>`` of an Ed25519 public key."""
    multikey = public_key_multibase(public_key)
    return f"did:key:{multikey}#{multikey}"


class Ed25519Signer:
    """A `Signer` holding an Ed25519 private key (via ``cryptography``)."""

    def __init__(self, private_key: Ed25519PrivateKey, verification_method: str | None = None):
        """Wrap a private key.

        Args:
            private_key: the signing key.
            verification_method: the key's absolute URL; defaults to its did:key method id.
        """
        self._private_key = private_key
        self._verification_method = verification_method or did_key_verification_method(
            private_key.public_key()
        )

    @classmethod
    def from_seed(cls, seed: bytes, verification_method: str | None = None) -> Ed25519Signer:
        """Build a signer from a 32-byte Ed25519 seed (fixed test keys).

        Raises:
            CredentialError: the seed is not 32 bytes.
        """
        if len(seed) != 32:
            raise CredentialError(f"an Ed25519 seed has 32 bytes, got {len(seed)}")
        return cls(Ed25519PrivateKey.from_private_bytes(seed), verification_method)

    @property
    def verification_method(self) -> str:
        """Absolute URL of the public key that verifies this signer's signatures."""
        return self._verification_method

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The matching public key."""
        return self._private_key.public_key()

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` with Ed25519 (64-byte signature)."""
        return self._private_key.sign(data)

    def __reduce__(self) -> tuple[object, tuple[bytes, str]]:
        # Lets a process pool (`fast.BatchSigner.sign_json`) hand the signer to its workers;
        # the key object itself does not pickle.
        seed = self._private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return (Ed25519Signer.from_seed, (seed, self._verification_method))

    def __repr__(self) -> str:
        return f"Ed25519Signer(verification_method={self._verification_method!r})"
