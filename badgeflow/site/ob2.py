"""The Open Badges 2.0 part of the site: issuer, badge classes, assertions, keys, revocations.

Layout (relative to the site's base URL), every id being the URL the document is served at:
``ob2/issuer.json``, ``ob2/badges/<slug>.json``, ``ob2/assertions/<id>.json`` (the hosted
assertion; for signed ones its JSON, next to ``<id>.jwt``), ``ob2/assertions/<id>.{png,svg}``
(baked: ``openbadges`` iTXt / ``<openbadges:assertion>``), ``ob2/keys/<key>.json`` and
``ob2/revocations.json`` (signed only). A static site cannot answer ``410 Gone``, so a revoked
hosted assertion is published with ``revoked: true`` and its ``revocationReason``.
"""

from __future__ import annotations

import hashlib
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

__all__ = [
    "Ob2Assertions",
    "Ob2Credential",
    "Ob2Output",
    "Ob2Signing",
    "Ob2Urls",
    "ob2_assertions",
    "ob2_fixed_documents",
    "ob2_site_files",
]


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


def _recipient(document: str, credential_id: str) -> tuple[JSONDict, Any]:
    """The recipient identity, and the parsed document (a dict) for `_narrative`."""
    try:
        parsed: Any = json.loads(document)
        identity = parsed["credentialSubject"]["identifier"][0]
        return docs.recipient_identity(str(identity["identityHash"]), str(identity["salt"])), parsed
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise CredentialError(f"credential {credential_id} has no hashed email identity") from exc


def _narrative(parsed: Any) -> str | None:
    evidence = parsed.get("evidence")
    first = evidence[0] if isinstance(evidence, list) and evidence else None
    narrative = first.get("narrative") if isinstance(first, dict) else None
    return narrative if isinstance(narrative, str) else None


def _baked_png(image: Path, payload: str) -> bytes:
    return bake_png(image.read_bytes(), payload, keyword=OB2_KEYWORD)


def _baked_svg(image: Path, verify: str, assertion: str | None) -> bytes:
    return bake_svg_ob2(image.read_text("utf-8"), verify=verify, assertion=assertion).encode()


@dataclass(frozen=True)
class Ob2Assertions:
    """What one credential's OB 2.0 files are made from besides the credential (picklable).

    Attributes:
        urls: the site's OB 2.0 URLs.
        images: each achievement's PNG and SVG (or None) image, by slug.
        key_id: the signing key's id for signed assertions (``creator``); None: hosted.
    """

    urls: Ob2Urls
    images: Mapping[str, tuple[Path, Path | None]]
    key_id: str | None = None

    def assertion(self, item: Ob2Credential) -> JSONDict:
        """The (unsigned, not yet revoked) assertion of one credential.

        Raises:
            CatalogError: the credential's achievement is unknown.
            CredentialError: the credential has no hashed email identity.
        """
        if item.achievement_slug not in self.images:
            raise CatalogError(f"credential {item.credential_id} is for an unknown achievement")
        urls = self.urls
        assertion_id = urls.assertion(item.credential_id)
        badge_id = urls.badge(item.achievement_slug)
        recipient, parsed = _recipient(item.document, item.credential_id)
        return docs.assertion(
            assertion_id=assertion_id,
            badge_id=badge_id,
            recipient=recipient,
            issued_on=item.awarded_at,
            creator=urls.key(self.key_id) if self.key_id else None,
            expires=item.valid_until,
            image=urls.assertion(item.credential_id, "png"),
            narrative=_narrative(parsed),
        )

    def paths(self, item: Ob2Credential, *, signed: bool = False) -> tuple[str, ...]:
        """The site-relative paths of the files `files` makes for ``item`` (none made here).

        Raises:
            CatalogError: the credential's achievement is unknown.
        """
        if item.achievement_slug not in self.images:
            raise CatalogError(f"credential {item.credential_id} is for an unknown achievement")
        name = f"assertions/{item.credential_id}"
        extensions = ["jwt"] if signed else []
        extensions += ["json", "png"] + (["svg"] if self.images[item.achievement_slug][1] else [])
        return tuple(self.urls.path(f"{name}.{extension}") for extension in extensions)

    def cache_key(self, item: Ob2Credential) -> str:
        """Digest what a hosted assertion's files are made from besides the site's inputs.

        The site digest (`badgeflow.site._units.site_digest`) covers the base URL, the
        achievements' images and this code; the rest is the credential as OB 2.0 shows it.
        """
        fields = (
            self.key_id,
            self.images.get(item.achievement_slug),
            item.credential_id,
            item.achievement_slug,
            item.awarded_at.isoformat(),
            item.valid_until.isoformat() if item.valid_until else None,
            item.revoked,
            item.reason,
        )
        h = hashlib.sha256(repr(fields).encode())
        h.update(b"\0" + item.document.encode())
        return h.hexdigest()

    def outputs(self, item: Ob2Credential, jws: str | None = None) -> Ob2Output:
        """One credential's OB 2.0 documents and (lazily baked) files.

        Args:
            item: the credential.
            jws: its signed assertion (`sign_assertion` of `assertion`) when signed; None
                when hosted.
        """
        out = Ob2Output()
        urls = self.urls
        assertion = self.assertion(item)
        png, svg = self.images[item.achievement_slug]
        name = f"assertions/{item.credential_id}"
        if jws is not None:
            out.files[urls.path(f"{name}.jwt")] = jws.encode("ascii")
            payload, svg_verify, svg_body = jws, jws, None
        else:
            payload = json.dumps(assertion, ensure_ascii=False, separators=(",", ":"))
            svg_verify, svg_body = assertion["id"], payload
        if item.revoked:
            assertion = docs.revoked_assertion(assertion, item.reason)
        out.documents[urls.path(f"{name}.json")] = assertion
        out.files[urls.path(f"{name}.png")] = partial(_baked_png, png, payload)
        if svg is not None:
            out.files[urls.path(f"{name}.svg")] = partial(_baked_svg, svg, svg_verify, svg_body)
        return out

    def files(
        self, item: Ob2Credential, jws: str | None = None
    ) -> list[tuple[str, JSONDict | bytes]]:
        """One credential's OB 2.0 documents and files, made now (as a site unit's extras).

        Args:
            item: the credential.
            jws: its signed assertion when signed, None when hosted (see `outputs`).

        Returns:
            ``(site-relative path, JSON document or bytes)`` pairs.
        """
        out = self.outputs(item, jws)
        made: list[tuple[str, JSONDict | bytes]] = list(out.documents.items())
        made += [(p, c if isinstance(c, bytes) else c()) for p, c in out.files.items()]
        return made


def ob2_fixed_documents(
    *,
    urls: Ob2Urls,
    issuer: IssuerInfo,
    achievements: Sequence[tuple[AchievementInfo, Path, Path | None]],
    signing: Ob2Signing | None = None,
    revoked: Sequence[tuple[str, str | None]] = (),
) -> dict[str, JSONDict]:
    """The OB 2.0 documents besides the assertions: issuer, keys, badge classes, revocations.

    Args:
        urls: the site's OB 2.0 URLs.
        issuer: the issuer (its ``email`` is required by OB 2.0).
        achievements: ``(info, PNG image, SVG image or None)`` per achievement.
        signing: the RS256 key for signed assertions; None publishes hosted assertions.
        revoked: ``(assertion URL, reason)`` of every revoked assertion, in credential
            order (the revocation list of signed assertions).

    Returns:
        Documents keyed by site-relative path.

    Raises:
        CatalogError: the issuer has no email.
    """
    if not issuer.email:
        raise CatalogError("OB 2.0 needs the issuer's contact email (badge_catalog issuer.yaml)")
    documents: dict[str, JSONDict] = {}
    keys = signing.public_keys if signing else {}
    documents[urls.path("issuer.json")] = docs.issuer_profile(
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
        documents[urls.path(f"keys/{key_id}.json")] = docs.cryptographic_key(
            key_id=urls.key(key_id), owner=urls.issuer, public_key=public_key
        )
    for info, _, _ in achievements:
        documents[urls.path(f"badges/{info.slug}.json")] = docs.badge_class(
            badge_id=urls.badge(info.slug),
            name=info.name,
            description=info.description,
            image=info.image_url,
            issuer_id=urls.issuer,
            criteria_url=info.criteria_url,
            criteria_narrative=info.criteria_narrative,
            tags=info.tags,
        )
    if signing:
        documents[urls.path("revocations.json")] = docs.revocation_list(
            list_id=urls.revocations, issuer_id=urls.issuer, revoked=list(revoked)
        )
    return documents


def ob2_assertions(
    urls: Ob2Urls,
    achievements: Sequence[tuple[AchievementInfo, Path, Path | None]],
    signing: Ob2Signing | None = None,
) -> Ob2Assertions:
    """What every credential's OB 2.0 files are made from (see `Ob2Assertions`)."""
    images = {info.slug: (png, svg) for info, png, svg in achievements}
    return Ob2Assertions(urls, images, signing.key_id if signing else None)


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
    assertions = ob2_assertions(urls, achievements, signing)
    out = Ob2Output()
    revoked: list[tuple[str, str | None]] = []
    for item in credentials:
        jws = None
        if signing:
            jws = docs.sign_assertion(assertions.assertion(item), signing.private_key)
        made = assertions.outputs(item, jws)
        out.documents.update(made.documents)
        out.files.update(made.files)
        if item.revoked:
            revoked.append((urls.assertion(item.credential_id), item.reason))
    out.documents.update(
        ob2_fixed_documents(
            urls=urls, issuer=issuer, achievements=achievements, signing=signing, revoked=revoked
        )
    )
    return out
