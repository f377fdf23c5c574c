"""The site-wide side of the demo traffic: monitors, crawlers, scanners, the issuer's checks.

Part of the demo traffic simulator (`badgeflow.demo.traffic`), not of the pipeline.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from badgeflow.demo._traffic_agents import Request, Visitor, bot, office, person
from badgeflow.demo._traffic_site import Browser, SimCredential, Site
from badgeflow.site import layout
from badgeflow.site.verifier_assets import BUNDLE_PATH, CONFIG_PATH, CONTEXT_INDEX_PATH

_PROBES = ("/wp-login.php", "/.env", "/xmlrpc.php", "/.git/config", "/admin/", "/phpmyadmin/")
UPTIME_INTERVAL = timedelta(minutes=5)


def _days(start: datetime, end: datetime) -> list[datetime]:
    """Midnight of every UTC day the window touches."""
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    days = []
    while day < end:
        days.append(day)
        day += timedelta(days=1)
    return days


def _at(day: datetime, rng: random.Random, start: datetime, end: datetime) -> datetime | None:
    """A random second of one day, or None when it falls outside the window."""
    at = day + timedelta(seconds=rng.randrange(86_400))
    return at if start <= at < end else None


def uptime_checks(site: Site, start: datetime, end: datetime, *, seed: int) -> list[Request]:
    """UptimeRobot's ``HEAD`` of the site root every five minutes."""
    rng = random.Random(f"{seed}:uptime")
    monitors = [bot(rng, "UptimeRobot") for _ in range(3)]
    requests = []
    at = start + timedelta(seconds=rng.randrange(300))
    while at < end:
        visitor = rng.choice(monitors)
        requests.append(Request(at, visitor, site.path(""), 200, 0, method="HEAD"))
        at += UPTIME_INTERVAL
    return requests


def crawlers_and_strangers(
    site: Site,
    credentials: Sequence[SimCredential],
    start: datetime,
    end: datetime,
    *,
    seed: int,
) -> list[Request]:
    """Daily crawling of the public pages, vulnerability scanners, and a few people's visits.

    Search engines read ``robots.txt``, the sitemap and the public pages (the verify page
    included); scanners probe for files the site never had (404); people open the site root and
    the verify page now and then, and someone mistypes a credential address (404).
    """
    rng = random.Random(f"{seed}:background")
    achievements = sorted({c.achievement for c in credentials})
    public = ["", "issuer/", "verify/", *(layout.achievement_page(a) for a in achievements)]
    out: list[Request] = []
    for day in _days(start, end):
        for family, chance in (("Googlebot", 1.0), ("bingbot", 0.6)):
            if rng.random() >= chance:
                continue
            crawler = Browser(bot(rng, family), site)
            for path in ("/robots.txt", "sitemap.xml", *rng.sample(public, k=min(3, len(public)))):
                at = _at(day, rng, start, end)
                if at is not None:
                    hit = ("verify_page", "", "") if path == "verify/" else None
                    crawler.get(at, path, hit=hit, status=200)
            out.extend(crawler.requests)
        for _ in range(rng.randint(0, 3)):
            at = _at(day, rng, start, end)
            if at is not None:
                out.append(Request(at, bot(rng, "scanner"), rng.choice(_PROBES), 404, 153))
        for page, chance in (("verify/", 0.45), ("", 0.6)):
            at = _at(day, rng, start, end)
            if at is not None and rng.random() < chance:
                visitor = Browser(person(rng), site)
                hit = ("verify_page", "", "") if page == "verify/" else None
                done = visitor.view(at, page, hit=hit)
                if page == "verify/":  # the page's verifier, waiting for a file
                    for asset in (BUNDLE_PATH, CONFIG_PATH, CONTEXT_INDEX_PATH):
                        visitor.get(done, asset, referer=site.url(page))
                out.extend(visitor.requests)
    for credential in credentials[:2]:  # a mistyped credential address
        at = credential.issued_at + timedelta(days=rng.uniform(1, 20))
        if at < end:
            typo = layout.credential_page(credential.credential_id[:-3])
            out.append(Request(at, person(rng), site.path(typo), 404, 153, "-"))
    return out


def office_checks(
    site: Site,
    credentials: Sequence[SimCredential],
    network: ipaddress.IPv4Network | ipaddress.IPv6Network,
    end: datetime,
    *,
    seed: int,
) -> list[Request]:
    """The issuer's own checks from its office network (a demo config excludes them).

    On each issue day a staff member looks at the site, a few new credential pages and one
    accept link (testing the email); every day a scripted check fetches a credential's JSON.
    """
    rng = random.Random(f"{seed}:office")
    out: list[Request] = []
    by_day: dict[datetime, list[SimCredential]] = {}
    for credential in credentials:
        by_day.setdefault(credential.issued_at, []).append(credential)
    staff: Visitor = office(rng, network, checker=False)
    for issued, batch in sorted(by_day.items()):
        browser = Browser(staff, site)
        at = issued + timedelta(minutes=rng.uniform(5, 40))
        at = browser.view(at, "") + timedelta(seconds=20)
        for credential in batch[:3]:
            at = browser.credential_view(at, credential) + timedelta(seconds=rng.randint(20, 90))
        tested = next((c for c in batch if c.accept_token), None)
        if tested is not None and tested.accept_token:
            page = layout.accept_page(tested.accept_token)
            image = layout.achievement_image(tested.achievement)
            browser.view(at, page, hit=("accept_open", tested.credential_id, ""), image=image)
        out.extend(browser.requests)
    if not credentials:
        return out
    first = min(c.issued_at for c in credentials)
    checker = Browser(office(rng, network, checker=True), site)
    for day in _days(first + timedelta(days=1), end):
        at = day + timedelta(hours=7, seconds=rng.randrange(60))
        candidates = [c for c in credentials if c.issued_at <= at]
        if candidates and at < end:
            cid = rng.choice(candidates).credential_id
            hit = ("credential_download", cid, "json")
            checker.get(at, layout.credential_json(cid), hit=hit, status=200)
    out.extend(checker.requests)
    return out
