"""The learner's side of the demo traffic: the award email, the accept link, shares and their echo.

Part of the demo traffic simulator (`badgeflow.demo.traffic`), not of the pipeline. One story
per credential, drawn from its own seeded generator, so a credential's story does not change
when others are added.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from badgeflow.demo._traffic_agents import Request, bot, person
from badgeflow.demo._traffic_site import Browser, SimCredential, Site
from badgeflow.site import layout

HOUR = 3600.0
DAY = 24 * HOUR
# Where a recruiter arrives from, by share channel.
_REFERERS = {
    "linkedin-profile": "https://www.linkedin.com/",
    "linkedin-post": "https://www.linkedin.com/",
    "x": "https://t.co/",
    "facebook": "https://l.facebook.com/",
    "email": "-",
}
_PREVIEW_BOTS = {
    "linkedin-profile": "LinkedInBot",
    "linkedin-post": "LinkedInBot",
    "x": "Twitterbot",
    "facebook": "facebookexternalhit",
}
# How many people a share brings to the credential page: (counts, weights).
_AUDIENCE = {
    "linkedin-profile": ((0, 1, 2, 3, 4, 5, 6, 8), (10, 20, 22, 18, 12, 8, 6, 4)),
    "linkedin-post": ((0, 1, 2, 3, 4, 5, 6, 8), (10, 20, 22, 18, 12, 8, 6, 4)),
    "x": ((0, 1, 2), (5, 3, 2)),
    "facebook": ((0, 1, 2, 3), (4, 3, 2, 1)),
    "email": ((1, 2), (3, 1)),
}


@dataclass
class Story:
    """What happened around one credential: requests, mail moments and outcomes."""

    requests: list[Request] = field(default_factory=list)
    mail: list[tuple[datetime, str, dict[str, Any]]] = field(default_factory=list)
    outcomes: set[str] = field(default_factory=set)
    channels: list[str] = field(default_factory=list)


def _after(at: datetime, rng: random.Random, low: float, high: float) -> datetime:
    return at + timedelta(seconds=round(rng.uniform(low, high)))


def _lognormal(at: datetime, rng: random.Random, median: float, sigma: float) -> datetime:
    return at + timedelta(seconds=round(rng.lognormvariate(math.log(median), sigma)))


def _same_day_later(at: datetime, rng: random.Random) -> datetime:
    midnight = at.replace(hour=23, minute=59, second=59)
    later = _after(at, rng, 120, 4 * HOUR)
    return min(later, midnight)


def learner_story(credential: SimCredential, site: Site, *, seed: int) -> Story:
    """Simulate the 28 days after one credential's issue: email, acceptance, shares, visits.

    Args:
        credential: the credential, with its award email (no email: no learner activity).
        site: the verification site.
        seed: the simulation's seed; the credential id is mixed in.

    Returns:
        The story; nothing in it is before the credential's issue time.
    """
    story = Story()
    email = credential.email
    if email is None or credential.status != "active" or not credential.accept_token:
        return story
    rng = random.Random(f"{seed}:{credential.credential_id}")
    end = credential.issued_at + timedelta(days=28)
    sent = max(email.sent_at, credential.issued_at)
    story.mail.append((_after(sent, rng, 1, 3), "processed", {}))
    delivered = _after(sent, rng, 4, 25)
    if rng.random() < 0.05:
        attempt = _after(sent, rng, 20, 90)
        story.mail.append((attempt, "deferred", {"attempt": "1"}))
        delivered = _after(attempt, rng, 300, 1200)
    if email.bounced or rng.random() < 0.04:
        story.mail.append((delivered, "bounce", {}))
        story.outcomes.add("bounced")
        return story
    story.mail.append((delivered, "delivered", {}))
    story.outcomes.add("delivered")
    if rng.random() < 0.2:  # the mailbox provider fetching images (Apple Mail Privacy)
        story.mail.append((_after(delivered, rng, 1, 40), "open", {"machine": True}))
    if rng.random() >= 0.75:
        if rng.random() < 0.3:  # read the email, never opened the link
            reader = person(rng)
            device = {"ip": reader.ip, "useragent": reader.agent}
            read = _lognormal(delivered, rng, 5 * HOUR, 1.4)
            if read < end:
                story.mail.append((read, "open", device))
        return story
    opened = max(_lognormal(delivered, rng, 3 * HOUR, 1.6), delivered + timedelta(seconds=30))
    if opened >= end:
        return story
    learner = Browser(person(rng), site)
    device = {"ip": learner.visitor.ip, "useragent": learner.visitor.agent}
    read = max(_after(opened, rng, -60, -5), delivered + timedelta(seconds=1))
    story.mail.append((read, "open", device))
    cid = credential.credential_id
    token = credential.accept_token
    story.mail.append((opened, "click", {**device, "url": site.url(layout.accept_page(token))}))
    image = layout.achievement_image(credential.achievement)
    accept = layout.accept_page(token)
    learner.view(opened, accept, hit=("accept_open", cid, ""), image=image)
    story.outcomes.add("opened")
    if rng.random() < 0.25:  # opened the email again later that day
        again = _same_day_later(opened, rng)
        learner.view(again, accept, hit=("accept_open", cid, ""), image=image)
    if rng.random() < 0.88:
        accepted = _lognormal(opened, rng, 75, 0.9)
        accepted_page = layout.accepted_page(token)
        learner.view(
            accepted,
            accepted_page,
            referer=site.url(accept),
            hit=("accept_confirm", cid, ""),
            image=image,
        )
        story.outcomes.add("accepted")
        _after_acceptance(story, learner, credential, site, rng, accepted, end)
    story.requests.extend(learner.requests)
    return story


def _after_acceptance(
    story: Story,
    learner: Browser,
    credential: SimCredential,
    site: Site,
    rng: random.Random,
    accepted: datetime,
    end: datetime,
) -> None:
    cid = credential.credential_id
    from_page = site.url(layout.accepted_page(credential.accept_token or ""))
    for extension, chance in (("png", 0.3), ("json", 0.12)):
        if rng.random() < chance:
            path = f"credentials/{cid}.{extension}"
            hit = ("credential_download", cid, extension)
            learner.get(_after(accepted, rng, 20, 120), path, referer=from_page, hit=hit)
    if rng.random() < 0.5:  # the learner looks at their own public page
        learner.credential_view(_after(accepted, rng, 30, 300), credential, referer=from_page)
    channels: list[str] = []
    if rng.random() < 0.35:
        first = "linkedin-profile" if rng.random() < 0.6 else "linkedin-post"
        channels.append(first)
        if rng.random() < 0.15:
            channels.append("linkedin-post" if first == "linkedin-profile" else "linkedin-profile")
    for channel, chance in (("x", 0.12), ("facebook", 0.08), ("email", 0.10)):
        if rng.random() < chance:
            channels.append(channel)
    if channels:
        _share(story, learner, credential, site, rng, accepted, end, channels)
    if rng.random() < 0.15:  # pasted into a Slack channel
        pasted = _lognormal(accepted, rng, 4 * HOUR, 1.0)
        if pasted < end:
            _preview(story, credential, site, rng, pasted, "Slackbot")
            for _ in range(rng.randint(1, 3)):
                colleague = Browser(person(rng), site)
                visit = _lognormal(pasted, rng, 2 * HOUR, 1.0)
                if visit < end:
                    colleague.credential_view(visit, credential, referer="https://app.slack.com/")
                    story.requests.extend(colleague.requests)


def _share(
    story: Story,
    learner: Browser,
    credential: SimCredential,
    site: Site,
    rng: random.Random,
    accepted: datetime,
    end: datetime,
    channels: list[str],
) -> None:
    cid = credential.credential_id
    if rng.random() < 0.7:
        at = _after(accepted, rng, 60, 600)
        referer = site.url(layout.accepted_page(credential.accept_token or ""))
    else:  # came back days later through the public page
        at = _lognormal(accepted, rng, 2 * DAY, 0.8)
        if at >= end:
            return
        at = learner.credential_view(at, credential)
        referer = site.url(layout.credential_page(cid))
    share = layout.share_page(cid)
    learner.view(at, share, referer=referer, hit=("share_page", cid, ""))
    for channel in channels:
        at = _after(at, rng, 8, 90)
        hit = ("share_click", cid, channel)
        learner.get(at, layout.share_redirect(cid, channel), referer=site.url(share), hit=hit)
        story.channels.append(channel)
        story.outcomes.add("shared")
        if channel.startswith("linkedin"):
            story.outcomes.add("shared_linkedin")
        if channel in _PREVIEW_BOTS:
            _preview(story, credential, site, rng, _after(at, rng, 3, 40), _PREVIEW_BOTS[channel])
        _audience(story, credential, site, rng, at, end, channel)
    for family, chance in (("Googlebot", 0.5), ("bingbot", 0.3)):
        found = _after(at, rng, DAY, 6 * DAY)  # a search engine follows the shared link
        if channels != ["email"] and rng.random() < chance and found < end:
            crawler = Browser(bot(rng, family), site)
            crawler.get(found, layout.credential_page(cid), hit=("credential_view", cid, ""))
            if rng.random() < 0.5:
                hit = ("credential_download", cid, "json")
                crawler.get(_after(found, rng, 5, 600), layout.credential_json(cid), hit=hit)
            story.requests.extend(crawler.requests)


def _preview(
    story: Story,
    credential: SimCredential,
    site: Site,
    rng: random.Random,
    at: datetime,
    family: str,
) -> None:
    """A link-preview bot fetching the shared page and its Open Graph image (maybe twice)."""
    cid = credential.credential_id
    fetches = 2 if rng.random() < 0.3 else 1
    for _ in range(fetches):
        fetcher = Browser(bot(rng, family), site)
        fetcher.get(at, layout.credential_page(cid), hit=("credential_view", cid, ""))
        fetcher.get(_after(at, rng, 1, 3), layout.achievement_image(credential.achievement))
        story.requests.extend(fetcher.requests)
        at = _same_day_later(at, rng)


def _audience(
    story: Story,
    credential: SimCredential,
    site: Site,
    rng: random.Random,
    shared: datetime,
    end: datetime,
    channel: str,
) -> None:
    """Recruiters and contacts reaching the credential page through a share, days later."""
    counts, weights = _AUDIENCE[channel]
    cid = credential.credential_id
    times = [
        shared + timedelta(seconds=round(rng.expovariate(1 / (2.5 * DAY))))
        for _ in range(rng.choices(counts, weights=weights)[0])
    ]
    if channel == "linkedin-profile":  # a certification on a profile keeps being found
        for _ in range(rng.choices((0, 1, 2, 3), weights=(3, 4, 2, 1))[0]):
            times.append(shared + (end - shared) * rng.random())
    for at in times:
        at = at.replace(microsecond=0)
        if at >= end:
            continue
        visitor = Browser(person(rng), site)
        referer = _REFERERS[channel]
        if channel == "x":
            referer += "".join(rng.choices("abcdefghijkmnpqrstuvwxyz0123456789", k=10))
        done = visitor.credential_view(at, credential, referer=referer)
        page = site.url(layout.credential_page(cid))
        if rng.random() < 0.3:  # "Signed credential (JSON)"
            visitor.get(
                _after(done, rng, 20, 90),
                layout.credential_json(cid),
                referer=page,
                hit=("credential_download", cid, "json"),
            )
        if rng.random() < 0.15:  # reloaded the same day
            visitor.credential_view(_same_day_later(done, rng), credential, referer=referer)
        if rng.random() < 0.1:
            visitor.view(
                _after(done, rng, 30, 200),
                layout.achievement_page(credential.achievement),
                referer=page,
                image=layout.achievement_image(credential.achievement),
            )
        later = _after(done, rng, DAY, 5 * DAY)
        if rng.random() < 0.08 and later < end:
            visitor.credential_view(later, credential)
        story.requests.extend(visitor.requests)
