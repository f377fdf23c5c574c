"""Award emails from stencils: the bodies rendered once per achievement, filled per learner.

Most of an award email is the same for every learner of an achievement: the texts, the
styles, the images, even most of the quoted-printable lines. An `AwardStencil` is the two
bodies rendered with markers in place of the per-learner values (the name, the dates, the
links) and split at them (`badgeflow.notify._stencil.PartStencil`), so the next email is a
few joins and the encoding of the lines that hold a value.

A stencil is made only for the packaged templates (a catalog's overrides are rendered in
full each time) and only if it is a plain substitution: the bodies are rendered with two
sets of markers, and the first, filled with the second's, must give exactly the second.
What the templates branch on (a name given or not, an expiry date, an attachment) is part
of the stencil's key, never a slot. ``tests/badgeflow/notify/test_stencil.py`` compares
stencilled emails with rendered ones byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from badgeflow.models import AchievementInfo, IssuerInfo
from badgeflow.notify._stencil import PartStencil
from badgeflow.notify.compose import EmailDesign, InlineImage, MessageParts
from badgeflow.notify.context import award_context
from badgeflow.notify.links import AwardLinks
from badgeflow.notify.render import render_bodies

__all__ = ["AwardStencil", "award_stencil"]

_LINKS: Final = ("credential_page", "accept", "share", "download_json", "download_png", "linkedin")


@dataclass(frozen=True)
class AwardStencil:
    """An award email's bodies split at the per-learner values, with what they share.

    Attributes:
        subject: the subject (the same for every learner).
        text: the plain-text body.
        html: the HTML body.
        images: the inline images.
        attachment_name: the baked PNG's file name, or None when none is attached.
        channels: the share channels the links must have, in order.
    """

    subject: str
    text: PartStencil
    html: PartStencil
    images: tuple[InlineImage, ...]
    attachment_name: str | None
    channels: tuple[str, ...]

    def parts(
        self,
        *,
        headers: dict[str, Any],
        learner_name: str | None,
        links: AwardLinks,
        issued: str | None,
        expires: str | None,
        baked_png: bytes | None,
    ) -> MessageParts | None:
        """The parts of one learner's email, as `award_email_parts` renders them.

        Args:
            headers: the message's headers (see `message_headers`).
            learner_name: the name as shown (``clean_line``), if the stencil has one.
            links: the email's links.
            issued: the award date as shown, if the stencil has one.
            expires: the expiry date as shown, if the stencil has one.
            baked_png: the baked PNG, if the stencil attaches one.

        Returns:
            The parts, their bodies already encoded where the stencil could; None when the
            links' share channels are not the stencil's (render in full then).
        """
        if tuple(channel for channel, _ in links.share_channels) != self.channels:
            return None
        values = _values(learner_name, links, issued, expires)
        text_values, html_values = self.text.values(values), self.html.values(values)
        encoded = (self.text.encode(text_values), self.html.encode(html_values))
        attachment = (
            (self.attachment_name, baked_png) if baked_png and self.attachment_name else None
        )
        return MessageParts(
            headers,
            self.text.fill(text_values),
            self.html.fill(html_values),
            self.images,
            attachment,
            encoded=(encoded[0], encoded[1]) if encoded[0] and encoded[1] else None,
        )


def _values(
    learner_name: str | None, links: AwardLinks, issued: str | None, expires: str | None
) -> dict[str, str]:
    values = {name: getattr(links, name) for name in _LINKS}
    values.update((f"share:{channel}", url) for channel, url in links.share_channels)
    for name, value in (("learner_name", learner_name), ("issued", issued), ("expires", expires)):
        if value is not None:
            values[name] = value
    return values


def award_stencil(
    design: EmailDesign,
    *,
    achievement: AchievementInfo,
    issuer: IssuerInfo,
    badge_png: bytes | None,
    domain: str,
    email_message: str | None,
    named: bool,
    issued: bool,
    expires: bool,
    attached: bool,
    channels: tuple[str, ...],
) -> AwardStencil | None:
    """Make the stencil of an achievement's award emails, for one shape of email.

    Args:
        design: the catalog's design; a stencil is made only without template overrides.
        achievement: the achievement.
        issuer: the issuer.
        badge_png: the achievement's plain PNG shown inline, or None.
        domain: the Message-ID and Content-ID domain.
        email_message: the achievement's ``email_message``, or None.
        named: whether the learner's name is shown (a non-empty name).
        issued: whether the award date is shown.
        expires: whether an expiry date is shown.
        attached: whether the baked PNG is attached.
        channels: the share channels of the links.

    Returns:
        The stencil, or None when the emails must be rendered in full.
    """
    if design.templates is not None:
        return None
    names = [*_LINKS, *(f"share:{channel}" for channel in channels)]
    names += [
        n for n, on in (("learner_name", named), ("issued", issued), ("expires", expires)) if on
    ]

    def render(markers: dict[str, str]) -> tuple[str, str, str, list[InlineImage], str | None]:
        links = AwardLinks(
            **{name: markers[name] for name in _LINKS},
            share_channels=tuple((c, markers[f"share:{c}"]) for c in channels),
        )
        context, images = award_context(
            design,
            learner_name=markers.get("learner_name"),
            achievement=achievement,
            issuer=issuer,
            links=links,
            badge_png=badge_png,
            domain=domain,
            email_message=email_message,
            issued=markers.get("issued"),
            expires=markers.get("expires"),
            attached=attached,
        )
        subject = f"You earned the {context['achievement'].name} badge"
        return subject, *render_bodies("award", context, design), images, context["attachment_name"]

    first = {name: f"bf&MarkA{n}x" for n, name in enumerate(names)}
    second = {name: f"bf&MarkBb{n}x" for n, name in enumerate(names)}
    subject, text, html, images, attachment_name = render(first)
    _, text_again, html_again, _, _ = render(second)
    text_stencil = PartStencil(text, first, escaped=False)
    html_stencil = PartStencil(html, first, escaped=True)
    if text_stencil.fill(text_stencil.values(second)) != text_again:
        return None
    if html_stencil.fill(html_stencil.values(second)) != html_again:
        return None
    if any(marker in subject for marker in first.values()):
        return None
    return AwardStencil(
        subject, text_stencil, html_stencil, tuple(images), attachment_name, channels
    )
