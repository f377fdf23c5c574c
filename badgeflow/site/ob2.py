"""The Open Badges 2.0 part of the site: issuer, badge classes, assertions, keys, revocations.

Layout (relative to the site's base URL), every id being the URL the document is served at:
``ob2/issuer.json``, ``ob2/badges/<slug>.json``, ``ob2/assertions/<id>.json`` (the hosted
assertion; for signed ones its JSON, next to ``<id>.jwt``), ``ob2/assertions/<id>.{png,svg}``
(baked: ``openbadges`` iTXt / ``<openbadges:assertion>``), ``ob2/keys/<key>.json`` and
``ob2/revocations.json`` (signed only). A static site cannot answer ``410 Gone``, so a revoked
hosted assertion is published with ``revoked: true`` and its ``revocationReason``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from badgeflow.credentials import bake_png
from badgeflow.credentials import ob2 as docs
from badgeflow.credentials.bake import OB2_KEYWORD
from badgeflow.credentials.bake_svg import bake_svg_ob2
from badgeflow.errors import CatalogError, CredentialError
from badgeflow.models import AchievementInfo, IssuerInfo, JSONDict
from badgeflow.site import layout

__all__ = ["Ob2Credential", "Ob2Output", "Ob2Signing", "Ob2Urls", "ob2_site_files"]


@dataclass(frozen=True)
class Ob2Urls:
    """Where the OB 2.0 documents live under the site's base URL."""

    base_url: str

    def path(self, name: str) -> str:
        """Return the site-relative path of ``ob2/<name>`` (checked to stay inside the site)."""
        return layout.check_relative_path(f"ob2/{name}")

    def url(self, name: str) -> str:
        """Return the absolute URL of ``ob2/<name>``."""
        return layout.join_url(self.base_url, self.path(name))

    @property
    def issuer(self) -> str:
        """The issuer profile's URL (its id)."""
        return self.url("issuer.json")

    @property
    def revocations(self) -> str:
        """The revocation list's URL."""
        return self.url("revocations.json")

    def badge(self, slug: str) -> str:
        """A badge class's URL."""
        return self.url(f"badges/{layout.check_slug(slug)}.json")

    def assertion(self, credential_id: str, extension: str = "json") -> str:
        """An assertion's URL (``json``), or its JWS / baked image (``jwt``, ``png``, ``svg``)."""
        return self.url(f"assertions/{layout.check_credential_id(credential_id)}.{extension}")

    def key(self, key_id: str) -> str:
        """A signing key's URL."""
        return self.url(f"keys/{key_id}.json")


@dataclass(frozen=True)
class Ob2Credential:
    """One OB 3.0 credential to publish as an OB 2.0 assertion too.

    Attributes:
        credential_id: the bare UUID.
        achievement_slug: the awarded achievement.
        document: the signed OB 3.0 credential JSON (source of the recipient hash and salt).
        awarded_at: ``issuedOn``.
        valid_until: ``expires``, or None.
        revoked: published as revoked (a revoked or suspended credential).
        reason: the published ``revocationReason``, if any.
    """

    credential_id: str
    achievement_slug: str
    document: str
    awarded_at: datetime
    valid_until: datetime | None = None
    revoked: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class Ob2Signing:
    """The RS256 key that signs, and every RSA public key to publish (current and retired).

    Attributes:
        key_id: the current key's id (names ``ob2/keys/<key_id>.json``).
        private_key: the current private key; never published.
        public_keys: every key to publish by id, the current one included.
    """

    key_id: str
    private_key: rsa.RSAPrivateKey
    public_keys: Mapping[str, rsa.RSAPublicKey]


@dataclass(frozen=True)
class Ob2Output:
    """The OB 2.0 documents and files to add to the site (see `build_site` extras)."""

    documents: dict[str, JSONDict] = field(default_factory=dict)
    files: dict[str, bytes | Callable[[], bytes]] = field(default_factory=dict)


def _recipient(document: str, credential_id: str) -> JSONDict:
    try:
        parsed: Any = json.loads(document)
        identity = parsed["credentialSubject"]["identifier"][0]
        return docs.recipient_identity(str(identity["identityHash"]), str(identity["salt"]))
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise CredentialError(f"credential {credential_id} has no hashed email identity") from exc


def _narrative(document: str) -> str | None:
    evidence = json.loads(document).get("evidence")
    first = evidence[0] if isinstance(evidence, list) and evidence else None
    narrative = first.get("narrative") if isinstance(first, dict) else None
    return narrative if isinstance(narrative, str) else None


def _baked_png(image: Path, payload: str) -> bytes:
    return bake_png(image.read_bytes(), payload, keyword=OB2_KEYWORD)


def _baked_svg(image: Path, verify: str, assertion: str | None) -> bytes:
    return bake_svg_ob2(image.read_text("utf-8"), verify=verify, assertion=assertion).encode()


def ob2_site_files(
    *,
    urls: Ob2Urls,
    issuer: IssuerInfo,
    achievements: Sequence[tuple[AchievementInfo, Path, Path | None]],
    credentials: Sequence[Ob2Credential],
    signing: Ob2Signing | None = None,
) -> Ob2Output:
    """Build the OB 2.0 documents and baked images for every achievement and credential.

    Args:
        urls: the site's OB 2.0 URLs.
        issuer: the issuer (its ``email`` is required by OB 2.0).
        achievements: ``(info, PNG image, SVG image or None)`` per achievement.
        credentials: the credentials to publish as assertions.
        signing: the RS256 key for signed assertions; None publishes hosted assertions.

    Returns:
        Documents and files keyed by site-relative path; baked images are made lazily.

    Raises:
        CatalogError: the issuer has no email, or a credential's achievement is unknown.
        CredentialError: a credential without a hashed email identity.
    """
    if not issuer.email:
        raise CatalogError("OB 2.0 needs the issuer's contact email (badge_catalog issuer.yaml)")
    out = Ob2Output()
    keys = signing.public_keys if signing else {}
    out.documents[urls.path("issuer.json")] = docs.issuer_profile(
        issuer_id=urls.issuer,
        name=issuer.name,
        url=issuer.url,
        email=issuer.email,
        description=issuer.description,
        image=issuer.image_url,
        public_keys=[urls.key(key_id) for key_id in keys],
        revocation_list=urls.revocations if signing else None,
    )
    for key_id, public_key in keys.items():
        out.documents[urls.path(f"keys/{key_id}.json")] = docs.cryptographic_key(
            key_id=urls.key(key_id), owner=urls.issuer, public_key=public_key
        )
    images: dict[str, tuple[Path, Path | None]] = {}
    for info, png, svg in achievements:
        images[info.slug] = (png, svg)
        out.documents[urls.path(f"badges/{info.slug}.json")] = docs.badge_class(
            badge_id=urls.badge(info.slug),
            name=info.name,
            description=info.description,
            image=info.image_url,
            issuer_id=urls.issuer,
            criteria_url=info.criteria_url,
            criteria_narrative=info.criteria_narrative,
            tags=info.tags,
        )
    revoked: list[tuple[str, str | None]] = []
    for item in credentials:
        if item.achievement_slug not in images:
            raise CatalogError(f"credential {item.credential_id} is for an unknown achievement")
        png, svg = images[item.achievement_slug]
        assertion = docs.assertion(
            assertion_id=urls.assertion(item.credential_id),
            badge_id=urls.badge(item.achievement_slug),
            recipient=_recipient(item.document, item.credential_id),
            issued_on=item.awarded_at,
            creator=urls.key(signing.key_id) if signing else None,
            expires=item.valid_until,
            image=urls.assertion(item.credential_id, "png"),
            narrative=_narrative(item.document),
        )
        name = f"assertions/{item.credential_id}"
        if signing:
            payload = docs.sign_assertion(assertion, signing.private_key)
            out.files[urls.path(f"{name}.jwt")] = payload.encode("ascii")
            svg_verify, svg_body = payload, None
        else:
            payload = json.dumps(assertion, ensure_ascii=False, separators=(",", ":"))
            svg_verify, svg_body = assertion["id"], payload
        if item.revoked:
            revoked.append((assertion["id"], item.reason))
            assertion = docs.revoked_assertion(assertion, item.reason)
        out.documents[urls.path(f"{name}.json")] = assertion
        out.files[urls.path(f"{name}.png")] = partial(_baked_png, png, payload)
        if svg is not None:
            out.files[urls.path(f"{name}.svg")] = partial(_baked_svg, svg, svg_verify, svg_body)
    if signing:
        out.documents[urls.path("revocations.json")] = docs.revocation_list(
            list_id=urls.revocations, issuer_id=urls.issuer, revoked=revoked
        )
    return out
