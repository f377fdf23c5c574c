"""The learner's pages beside each credential page: accept, share and share redirects; robots.txt.

Paths, and what a request for each means in the web server's access log (issue 7 reads them):

==========================================  ==============================================
``accept/<token>/``                         the learner opened the award email's accept link
``accept/<token>/accepted/``                the learner pressed "Accept badge"
``credentials/<id>/share/``                 someone opened the credential's share page
``credentials/<id>/share/<channel>/``       a share click on one channel (then forwarded)
==========================================  ==============================================

The accept pages are reached only through the award email (nothing on the site links to
them, they are ``noindex`` and absent from the sitemap) and their ``Referrer-Policy`` keeps
the token from leaving the site in a ``Referer`` header.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol
from xml.sax.saxutils import escape

from jinja2 import Environment
from markupsafe import Markup

from badgeflow.credentials.ob3.credential import Evidence
from badgeflow.models import AchievementInfo
from badgeflow.site import layout
from badgeflow.site._markdown import render_markdown
from badgeflow.site._stencils import Identity, substitute
from badgeflow.site.inputs import CredentialSource, SiteAchievement, SiteCredential
from badgeflow.site.share import (
    CHANNEL_LABELS,
    ShareSubject,
    share_target,
    share_target_dates,
)

__all__ = [
    "EvidenceView",
    "PageWriter",
    "evidence_views",
    "public_name",
    "register_template_helpers",
    "robots_txt",
    "sitemap_xml",
    "write_crawler_files",
    "write_learner_pages",
]


# Anything with an @ between two non-space runs: an LMS may hold an email where a name belongs.
_EMAIL_LIKE: Final = re.compile(r"\S@\S")


def public_name(learner_name: str | None) -> str | None:
    """The learner's name as the site may show it: None when absent, blank or email-like.

    Args:
        learner_name: the name from the LMS, if any.

    Returns:
        The name, stripped, or None when it is missing or looks like an email address (the
        site never publishes a learner's email, not even where a name should be).
    """
    if learner_name is None or not learner_name.strip():
        return None
    if _EMAIL_LIKE.search(learner_name):
        return None
    return learner_name.strip()


class PageWriter(Protocol):
    """The part of the site builder's writer these pages use."""

    def page(self, relative: str, template: str, common: dict[str, Any], **context: Any) -> None:
        """Render a template to a page."""

    def text(self, relative: str, text: str) -> None:
        """Write a text file."""

    def stencil_page(
        self,
        relative: str,
        template: str,
        common: dict[str, Any],
        key: Hashable,
        values: Mapping[str, str],
        context: Callable[[Mapping[str, str]], dict[str, Any]],
        ids: Collection[str] = (),
    ) -> None:
        """Render a page that differs from its siblings only in ``values``."""


@dataclass(frozen=True)
class EvidenceView:
    """One evidence item as the credential page shows it (every field plain text but the link)."""

    name: str | None
    description: str | None
    narrative_html: Markup | None
    genre: str | None
    audience: str | None
    url: str | None
    """Only an ``http(s)`` id becomes a link: a ``javascript:`` or ``data:`` id never does."""


def register_template_helpers(env: Environment) -> None:
    """Give the site's templates the URL layout, the Markdown filter and the share channels.

    Args:
        env: the site's jinja2 environment.
    """
    env.globals["layout"] = layout
    env.globals["share_channels"] = CHANNEL_LABELS
    env.filters["markdown"] = render_markdown


def evidence_views(document_evidence: Any, catalog: Sequence[Evidence]) -> list[EvidenceView]:
    """Merge a credential document's ``evidence`` with the catalog's evidence for its achievement.

    The document's items come first; a catalog item the document already carries is shown once.

    Args:
        document_evidence: the document's ``evidence`` value (an object, a list, or None).
        catalog: the achievement's evidence from the catalog.

    Returns:
        The items to show, in order, skipping any with nothing to show.
    """
    raw = document_evidence if isinstance(document_evidence, list) else [document_evidence]
    items = [item for item in raw if isinstance(item, dict)]
    items += [e.to_json() for e in catalog]
    views: list[EvidenceView] = []
    seen: set[tuple[str | None, ...]] = set()
    for item in items:
        fields = {
            k: item[k] if isinstance(item.get(k), str) and item[k].strip() else None
            for k in ("id", "name", "description", "narrative", "genre", "audience")
        }
        key = tuple(fields.values())
        if key in seen or not any(fields.values()):
            continue
        seen.add(key)
        link = fields["id"]
        views.append(
            EvidenceView(
                name=fields["name"],
                description=fields["description"],
                narrative_html=render_markdown(fields["narrative"])
                if fields["narrative"]
                else None,
                genre=fields["genre"],
                audience=fields["audience"],
                url=link if link and link.lower().startswith(("https://", "http://")) else None,
            )
        )
    return views


def write_learner_pages(
    writer: PageWriter,
    common: dict[str, Any],
    credential: SiteCredential,
    achievement: AchievementInfo,
    files: Mapping[str, bool],
    state: str,
) -> None:
    """Write a credential's share page, one redirect page per channel and its accept pages.

    Each page comes from a stencil (`badgeflow.site._stencils`) for its achievement (and
    state and files, for the accept pages): the same bytes as rendering it in full.

    Args:
        writer: the site builder's writer.
        common: the variables every page gets (``issuer`` and ``base_url`` among them).
        credential: the credential (accept pages only when it has an ``accept_token``).
        achievement: its achievement.
        files: which of the credential's files are published (``json``, ``png``, ``svg``).
        state: ``valid``, ``expired``, ``revoked`` or ``suspended`` at the build clock.
    """
    cid = layout.check_credential_id(credential.credential_id)
    expires = credential.valid_until
    issued, until = credential.awarded_at.date(), expires.date() if expires is not None else None
    base_url, issuer_name = common["base_url"], common["issuer"].name

    def subject(credential_id: str) -> ShareSubject:
        return ShareSubject(
            credential_id=credential_id,
            page_url=layout.join_url(base_url, layout.credential_page(credential_id)),
            achievement_name=achievement.name,
            issuer_name=issuer_name,
            issued=issued,
            expires=until,
        )

    def shared(values: Mapping[str, str]) -> dict[str, Any]:
        return {"subject": subject(values["cid"]), "achievement": achievement, "cid": values["cid"]}

    ids = ("cid",)
    key = Identity(achievement)
    writer.stencil_page(
        f"{layout.share_page(cid)}index.html",
        "site/share.html",
        common,
        key,
        {"cid": cid},
        shared,
        ids,
    )
    for channel in layout.SHARE_CHANNELS:
        dates = share_target_dates(channel, issued, until)
        target = _share_target(channel, subject, (base_url, achievement.name, issuer_name, dates))

        def redirect(v: Mapping[str, str], channel: str = channel) -> dict[str, Any]:
            return {**shared(v), "channel": channel, "target": v["target"]}

        writer.stencil_page(
            f"{layout.share_redirect(cid, channel)}index.html",
            "site/redirect.html",
            common,
            (key, channel),
            {"cid": cid, "target": target(cid)},
            redirect,
            ids,
        )
    token = credential.accept_token
    if token is None:
        return
    name = public_name(credential.learner_name)
    values = {"cid": cid} if name is None else {"cid": cid, "name": name}
    flags = (key, state, name is not None, tuple(sorted(files.items())))

    def personal(v: Mapping[str, str]) -> dict[str, Any]:
        return {**shared(v), "learner_name": v.get("name"), "files": files, "state": state}

    accept = layout.accept_page(token)
    for relative, template in (
        (f"{accept}index.html", "site/accept.html"),
        (f"{layout.accepted_page(token)}index.html", "site/accepted.html"),
    ):
        writer.stencil_page(relative, template, common, flags, values, personal, ids)


_targets: dict[object, Callable[[str], str]] = {}


def _share_target(
    channel: str, subject: Callable[[str], ShareSubject], key: tuple[object, ...]
) -> Callable[[str], str]:
    """``share_target(channel, subject(cid))`` as a function of ``cid``.

    Cached per ``key``: every field of the subject but the credential id, the dates as
    `share_target_dates` gives them (what the channel's URL reads of them).
    """
    full = (channel, *key)
    made = _targets.get(full)
    if made is None:
        if len(_targets) >= 4_096:
            _targets.clear()
        made = substitute(lambda cid: share_target(channel, subject(cid))) or (
            lambda cid: share_target(channel, subject(cid))
        )
        _targets[full] = made
    return made


def write_crawler_files(
    writer: PageWriter,
    common: dict[str, Any],
    achievements: Sequence[SiteAchievement],
    credentials: CredentialSource,
) -> None:
    """Write ``robots.txt`` and ``sitemap.xml`` (credential pages listed only when indexable).

    Args:
        writer: the site builder's writer.
        common: the variables every page gets (``base_url``, ``index_credentials``).
        achievements: every achievement published.
        credentials: every credential published.
    """
    base_url = common["base_url"]
    paths = ["", "issuer/", *(layout.achievement_page(a.info.slug) for a in achievements)]
    if common["index_credentials"]:
        paths += [layout.credential_page(c.credential_id) for c in credentials]
    writer.text("robots.txt", robots_txt(base_url))
    writer.text("sitemap.xml", sitemap_xml(base_url, paths))


def robots_txt(base_url: str) -> str:
    """The site's ``robots.txt``: every page may be crawled; the sitemap lists the public ones.

    Args:
        base_url: the site's public base URL.

    Returns:
        The file's text.
    """
    # No Disallow on purpose. A crawler that may not fetch a page never sees its
    # `<meta name="robots" content="noindex">`, and a disallowed URL linked from elsewhere
    # (a shared credential link, a leaked accept link) can still be indexed by its address
    # alone. So every page may be fetched, and the pages that must stay out of search
    # results (credential pages unless the issuer opts in; accept, share and redirect pages
    # always) say so themselves. Listing `/accept/` here would also advertise where the
    # private pages live. (robots.txt only counts at a host's root: when the site is served
    # under a path, the host's own robots.txt decides crawling, and the meta tags still hold.)
    return (
        "# badgeflow verification site: pages that must not be indexed carry a noindex tag.\n"
        "User-agent: *\n"
        "Allow: /\n"
        f"\nSitemap: {layout.join_url(base_url, 'sitemap.xml')}\n"
    )


def sitemap_xml(base_url: str, paths: Sequence[str]) -> str:
    """The sitemap of the site's indexable pages.

    Args:
        base_url: the site's public base URL.
        paths: site-relative paths of the pages to list (never accept, share or redirect pages).

    Returns:
        The ``sitemap.xml`` text (no ``lastmod``: a page's bytes depend on its content only).
    """
    urls = "".join(
        f"  <url><loc>{escape(layout.join_url(base_url, path))}</loc></url>\n" for path in paths
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}</urlset>\n"
    )
