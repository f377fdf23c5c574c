"""JSON Web Signatures in compact form (RFC 7515), RS256 and ES256 only.

These are the two algorithms the 1EdTech validator accepts for VC-JWT (OB 3.0) and the one
OB 2.0 signed assertions use (RS256). The code is small on purpose: `cryptography` does the
maths; this module only frames it. ``alg: none``, HMAC algorithms and any header a caller did
not allow are refused when verifying, so a token cannot choose its own (weaker) check.

Example:
    >>> from cryptography.hazmat.primitives.asymmetric import ec
    >>> key = ec.generate_private_key(ec.SECP256R1())
    >>> token = sign_compact({"hello": "world"}, key, kid="did:web:x#jwt-1")
    >>> verify_compact(token, key.public_key()).payload
    {'hello': 'world'}
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict

__all__ = [
    "ALGORITHMS",
    "Algorithm",
    "DecodedJws",
    "JwsPrivateKey",
    "JwsPublicKey",
    "algorithm_for",
    "b64url_decode",
    "b64url_encode",
    "decode_compact",
    "jwk_thumbprint",
    "public_jwk",
    "public_key_from_jwk",
    "sign_compact",
    "verify_compact",
]

Algorithm = Literal["RS256", "ES256"]
ALGORITHMS: Final[tuple[Algorithm, ...]] = ("RS256", "ES256")
JwsPrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
JwsPublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

_MIN_RSA_BITS: Final = 2048
_P256_BYTES: Final = 32


@dataclass(frozen=True)
class DecodedJws:
    """A compact JWS split into its parts (signature not yet checked).

    Attributes:
        header: the protected header.
        payload: the payload parsed as JSON.
        signing_input: ``base64url(header) "." base64url(payload)`` as ASCII bytes.
        signature: the raw signature bytes.
    """

    header: JSONDict
    payload: Any
    signing_input: bytes
    signature: bytes


def b64url_encode(data: bytes) -> str:
    """Return unpadded base64url of `data` (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url.

    Raises:
        CredentialError: `text` is not base64url.
    """
    if "=" in text or any(c in text for c in "+/ \n"):
        raise CredentialError("JWS part is not unpadded base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise CredentialError(f"JWS part is not base64url: {exc}") from exc


def algorithm_for(key: JwsPrivateKey | JwsPublicKey) -> Algorithm:
    """Return the JWS algorithm for a key: RS256 for RSA (2048 bits or more), ES256 for P-256.

    Raises:
        CredentialError: the key is a short RSA key or an EC key on another curve.
    """
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        if key.key_size < _MIN_RSA_BITS:
            raise CredentialError(f"RSA key of {key.key_size} bits; RS256 needs {_MIN_RSA_BITS}+")
        return "RS256"
    if not isinstance(key.curve, ec.SECP256R1):
        raise CredentialError(f"ES256 needs a P-256 key, got curve {key.curve.name}")
    return "ES256"


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign_compact(
    payload: Any,
    key: JwsPrivateKey,
    *,
    kid: str | None = None,
    jwk: bool = False,
    typ: str | None = None,
) -> str:
    """Sign a JSON payload and return the compact JWS.

    Args:
        payload: any JSON value; serialised compactly in UTF-8.
        key: an RSA (RS256) or P-256 (ES256) private key.
        kid: the header's ``kid`` (a URL or DID URL that dereferences to the public key).
        jwk: embed the public key as the header's ``jwk`` (never the private part).
        typ: the header's ``typ`` (``JWT`` for VC-JWT), omitted when None.

    Returns:
        ``header.payload.signature``, each part unpadded base64url.

    Raises:
        CredentialError: unsupported key.
    """
    alg = algorithm_for(key)
    header: JSONDict = {"alg": alg}
    if typ is not None:
        header["typ"] = typ
    if kid is not None:
        header["kid"] = kid
    if jwk:
        header["jwk"] = public_jwk(key.public_key())
    signing_input = f"{b64url_encode(_json_bytes(header))}.{b64url_encode(_json_bytes(payload))}"
    data = signing_input.encode("ascii")
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    else:
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(_P256_BYTES, "big") + s.to_bytes(_P256_BYTES, "big")
    return f"{signing_input}.{b64url_encode(signature)}"


def decode_compact(token: str) -> DecodedJws:
    """Split and parse a compact JWS without checking its signature.

    Raises:
        CredentialError: not three base64url parts, or a header/payload that is not JSON.
    """
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise CredentialError(f"a compact JWS has 3 parts, this has {len(parts)}")
    try:
        header = json.loads(b64url_decode(parts[0]))
        payload = json.loads(b64url_decode(parts[1]))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CredentialError(f"JWS header or payload is not JSON: {exc}") from exc
    if not isinstance(header, dict):
        raise CredentialError("JWS header is not a JSON object")
    return DecodedJws(
        header=header,
        payload=payload,
        signing_input=f"{parts[0]}.{parts[1]}".encode("ascii"),
        signature=b64url_decode(parts[2]),
    )


def verify_compact(
    token: str,
    key: JwsPublicKey,
    *,
    allowed_header: frozenset[str] = frozenset({"alg", "typ", "kid", "jwk"}),
) -> DecodedJws:
    """Check a compact JWS against a public key and return it decoded.

    Args:
        token: the compact JWS.
        key: the public key the caller resolved (from ``kid`` or ``jwk``) and trusts.
        allowed_header: header names accepted; anything else (``crit``, ``jku``, ...) fails.

    Returns:
        The decoded JWS.

    Raises:
        CredentialError: malformed, an algorithm other than the key's, a header name not
            allowed, or a signature that does not verify.
    """
    decoded = decode_compact(token)
    alg = decoded.header.get("alg")
    expected = algorithm_for(key)
    if alg != expected:
        raise CredentialError(f"JWS alg {alg!r} does not match the key ({expected})")
    extra = set(decoded.header) - allowed_header
    if extra:
        raise CredentialError(f"JWS header has fields not allowed here: {sorted(extra)}")
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(
                decoded.signature, decoded.signing_input, padding.PKCS1v15(), hashes.SHA256()
            )
        else:
            if len(decoded.signature) != 2 * _P256_BYTES:
                raise CredentialError("ES256 signature is not 64 bytes")
            r = int.from_bytes(decoded.signature[:_P256_BYTES], "big")
            s = int.from_bytes(decoded.signature[_P256_BYTES:], "big")
            key.verify(encode_dss_signature(r, s), decoded.signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise CredentialError("JWS signature does not verify") from exc
    return decoded


def _uint_b64(value: int, length: int | None = None) -> str:
    size = length if length is not None else max(1, (value.bit_length() + 7) // 8)
    return b64url_encode(value.to_bytes(size, "big"))


def public_jwk(key: JwsPublicKey) -> JSONDict:
    """Return the public JWK of a key (RFC 7517/7518): RSA ``n``/``e`` or EC P-256 ``x``/``y``.

    Raises:
        CredentialError: unsupported key.
    """
    algorithm_for(key)
    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        return {"kty": "RSA", "n": _uint_b64(numbers.n), "e": _uint_b64(numbers.e)}
    point = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _uint_b64(point.x, _P256_BYTES),
        "y": _uint_b64(point.y, _P256_BYTES),
    }


def public_key_from_jwk(jwk: Mapping[str, Any]) -> JwsPublicKey:
    """Load a public key from a JWK; a JWK carrying a private part (``d``) is refused.

    Raises:
        CredentialError: unsupported ``kty``/``crv``, a private JWK, or malformed members.
    """
    if "d" in jwk:
        raise CredentialError("the JWK holds a private key (d); only public keys are accepted")
    try:
        if jwk.get("kty") == "RSA":
            n = int.from_bytes(b64url_decode(str(jwk["n"])), "big")
            e = int.from_bytes(b64url_decode(str(jwk["e"])), "big")
            key: JwsPublicKey = rsa.RSAPublicNumbers(e, n).public_key()
        elif jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
            x = int.from_bytes(b64url_decode(str(jwk["x"])), "big")
            y = int.from_bytes(b64url_decode(str(jwk["y"])), "big")
            key = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
        else:
            raise CredentialError(
                f"unsupported JWK kty={jwk.get('kty')!r} crv={jwk.get('crv')!r}; "
                "RSA and EC P-256 are supported"
            )
    except (KeyError, ValueError) as exc:
        raise CredentialError(f"malformed JWK: {exc}") from exc
    algorithm_for(key)
    return key


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """Return the RFC 7638 SHA-256 thumbprint of a public JWK, base64url.

    Raises:
        CredentialError: unsupported ``kty``.
    """
    members = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}.get(str(jwk.get("kty")))
    if members is None:
        raise CredentialError(f"no thumbprint rule for kty {jwk.get('kty')!r}")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())
