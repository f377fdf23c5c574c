"""What one page view on the demo's verification site requests: the page, its assets, the verifier.

Part of the demo traffic simulator (`badgeflow.demo.traffic`), not of the pipeline. Paths
follow `badgeflow.site.layout`; a credential page also loads what its in-browser verifier
fetches (`badgeflow.site.verifier_assets`): its configuration, the context index and contexts,
the credential JSON, the DID document and the status lists.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from badgeflow.demo._traffic_agents import Request, Visitor
from badgeflow.site import layout
from badgeflow.site.verifier_assets import BUNDLE_PATH, CONFIG_PATH, CONTEXT_INDEX_PATH

HitKey = tuple[str, str, str]


@dataclass(frozen=True)
class SimCredential:
    """What the simulator needs to know of one issued credential."""

    credential_id: str
    accept_token: str | None
    issued_at: datetime
    achievement: str
    status: str
    contexts: tuple[str, ...] = ()
    status_lists: tuple[str, ...] = ()
    did_document: str | None = None
    email: SimEmail | None = None


@dataclass(frozen=True)
class SimEmail:
    """The award email of a credential, as the outbox recorded it."""

    to_address: str
    message_id: str
    sent_at: datetime
    bounced: bool = False


@dataclass(frozen=True)
class Site:
    """The site's address: ``base_url`` may carry a path prefix (``https://x.org/badges/``)."""

    base_url: str

    @property
    def prefix(self) -> str:
        """The URL path the site lives under, with slashes on both ends."""
        return urlsplit(self.base_url).path.rstrip("/") + "/"

    def path(self, relative: str) -> str:
        """The request path of a site-relative path (host-absolute ones pass unchanged)."""
        return relative if relative.startswith("/") else self.prefix + relative

    def url(self, relative: str) -> str:
        """The absolute URL of a site-relative path (as a ``Referer`` carries it)."""
        if relative.startswith("/"):
            parts = urlsplit(self.base_url)
            return f"{parts.scheme}://{parts.netloc}{relative}"
        return layout.join_url(self.base_url, relative) if relative else self.prefix_url

    @property
    def prefix_url(self) -> str:
        """The site's root URL, with its trailing slash."""
        return self.base_url.rstrip("/") + "/"


def size_of(path: str) -> int:
    """A stable response size for a path (the same file always has the same size)."""
    path = path.partition("?")[0]
    spread = zlib.crc32(path.encode())
    if path.endswith("robots.txt"):
        return 96
    if path.endswith(".png"):
        return 38_000 + spread % 24_000
    if path.endswith(".js"):
        return 412_337
    if path.endswith(".css"):
        return 9_214
    if path.endswith((".json", ".jsonld")) or "/status/" in f"/{path}":
        return 1_800 + spread % 5_000
    return 5_200 + spread % 3_600


@dataclass
class Browser:
    """A visitor with a cache: assets fetched once are revalidated (304) afterwards."""

    visitor: Visitor
    site: Site
    cache: set[str] = field(default_factory=set)
    requests: list[Request] = field(default_factory=list)

    def get(
        self,
        at: datetime,
        path: str,
        *,
        referer: str = "-",
        hit: HitKey | None = None,
        status: int | None = None,
    ) -> None:
        """Record one request; an asset already cached answers 304 with no body."""
        if status is None:
            status = 304 if path in self.cache and not path.endswith("/") else 200
        self.cache.add(path)
        size = size_of(path) if status == 200 else (153 if status == 404 else 0)
        self.requests.append(
            Request(at, self.visitor, self.site.path(path), status, size, referer, hit=hit)
        )

    def view(
        self,
        at: datetime,
        page: str,
        *,
        referer: str = "-",
        hit: HitKey | None = None,
        image: str | None = None,
        credential: SimCredential | None = None,
    ) -> datetime:
        """A browser loading a page with its stylesheet, image and, for credentials, verifier.

        Returns:
            The time of the last request, so a story can continue after it.
        """
        first = not self.cache
        self.get(at, page, referer=referer, hit=hit)
        own = self.site.url(page)
        step = timedelta(seconds=1)
        self.get(at, "static/site.css", referer=own)
        if image:
            self.get(at, image, referer=own)
        if first:
            self.get(at + step, "/favicon.ico", referer=own, status=404)
        if credential is None:
            return at + step
        cid = credential.credential_id
        at += step
        self.get(at, BUNDLE_PATH, referer=own)
        at += step
        self.get(at, CONFIG_PATH, referer=own)
        self.get(at, CONTEXT_INDEX_PATH, referer=own)
        # The page's own check (`?check`, see _verify_panel.html): part of the view, no download.
        self.get(at, f"{layout.credential_json(cid)}?check", referer=own)
        at += step
        for document in (*credential.contexts, credential.did_document, *credential.status_lists):
            if document:
                self.get(at, document, referer=own)
        return at

    def credential_view(
        self, at: datetime, credential: SimCredential, *, referer: str = "-"
    ) -> datetime:
        """A person opening a credential's public page (a verification view)."""
        cid = credential.credential_id
        return self.view(
            at,
            layout.credential_page(cid),
            referer=referer,
            hit=("credential_view", cid, ""),
            image=layout.achievement_image(credential.achievement),
            credential=credential,
        )
