"""Which verification-site request means what: request targets → attributable pages.

The layout is the site's own (`badgeflow.site.layout`): ``accept/<token>/`` and
``accept/<token>/accepted/`` (the learner's accept link), ``credentials/<id>/`` and its
``.json/.png/.svg/.jwt`` files, ``credentials/<id>/share/`` and the share redirects
``credentials/<id>/share/<channel>/``, and ``verify/``. Everything else (assets, the index,
achievement pages) is not attributable and not counted.
"""

from __future__ import annotations

from typing import Final, NamedTuple
from urllib.parse import unquote, urlsplit

from badgeflow.site.layout import SHARE_CHANNELS

__all__ = ["DOWNLOAD_FORMATS", "Page", "PathClassifier"]

DOWNLOAD_FORMATS: Final = ("json", "png", "svg", "jwt")
_CACHE_LIMIT: Final = 200_000
_ROOTS: Final = ("accept/", "credentials/", "verify")


class Page(NamedTuple):
    """An attributable page: its hit kind, the credential id or accept token, the channel."""

    kind: str
    ref: str  # credential id, accept token (kind accept_*), or "" (verify_page)
    channel: str


class PathClassifier:
    """Classify request targets under the site's base URL (cached per distinct target).

    Args:
        base_url: `SiteSettings.base_url`; its path (``/badges`` in
            ``https://example.org/badges``) is stripped from every request target.
    """

    def __init__(self, base_url: str) -> None:
        self._prefix = urlsplit(base_url).path.rstrip("/") + "/"
        # Substrings every line of an attributable page contains (a cheap prefilter).
        self.markers: tuple[str, str, str] = (
            self._prefix + "accept/",
            self._prefix + "credentials/",
            self._prefix + "verify",
        )
        self.cache: dict[str, Page | None] = {}  # read directly on the hot path

    def classify(self, target: str) -> Page | None:
        """The page a request target (path and query, or absolute URL) asks for.

        Args:
            target: the request line's target, e.g. ``/badges/credentials/<id>/?utm=x``.

        Returns:
            The page, or ``None`` when the target is not an attributable page.
        """
        try:
            return self.cache[target]
        except KeyError:
            pass
        if len(self.cache) >= _CACHE_LIMIT:
            self.cache.clear()
        page = self._classify(target)
        self.cache[target] = page
        return page

    def _classify(self, target: str) -> Page | None:
        if "://" in target[:10]:  # absolute-form request target (proxies)
            target = urlsplit(target).path
        path, _, query = target.partition("#")[0].partition("?")
        if query == CHECK_QUERY:  # the credential page's own verification fetch, no download
            return None
        if "%" in path:
            path = unquote(path)
        if not path.startswith(self._prefix):
            return None
        path = path[len(self._prefix) :]
        if not path.startswith(_ROOTS):
            return None
        if path.endswith("/index.html"):
            path = path[: -len("index.html")]
        parts = path.rstrip("/").split("/")
        return _page(parts)


# The query the credential page's in-browser verifier adds to its fetch of the credential JSON
# (badgeflow/templates/site/_verify_panel.html): that request is part of a view.
CHECK_QUERY = "check"


def _page(parts: list[str]) -> Page | None:
    root, rest = parts[0], parts[1:]
    if root == "verify":
        return Page("verify_page", "", "") if not rest else None
    if root not in ("accept", "credentials"):
        return None
    if not rest or not rest[0] or ("." in rest[0] and len(rest) > 1):
        return None
    ref = rest[0]
    if root == "accept":
        if len(rest) == 1:
            return Page("accept_open", ref, "")
        if rest[1:] == ["accepted"]:
            return Page("accept_confirm", ref, "")
        return None
    if len(rest) == 1:
        stem, dot, ext = ref.rpartition(".")
        if not dot:
            return Page("credential_view", ref, "")
        return Page("credential_download", stem, ext) if ext in DOWNLOAD_FORMATS else None
    if rest[1] != "share":
        return None
    if len(rest) == 2:
        return Page("share_page", ref, "")
    if len(rest) == 3 and rest[2] in SHARE_CHANNELS:
        return Page("share_click", ref, rest[2])
    return None
