"""The render caches (shared image parts, remembered headers) change no byte of any email."""

from __future__ import annotations

from email import policy

from badgeflow.notify import compose
from badgeflow.notify.compose import POLICY
from tests.badgeflow.notify.test_render import PNG, render_email

BADGE = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"


def render_bytes(**overrides) -> bytes:
    return render_email(badge_png=BADGE, **overrides).as_bytes(policy=POLICY.clone(linesep="\r\n"))


def test_cached_rendering_gives_the_bytes_of_the_stock_email_package(monkeypatch):
    warm = [render_bytes(learner_name=name) for name in ("Ada Lovelace", "Grace Hopper")]
    again = [render_bytes(learner_name=name) for name in ("Ada Lovelace", "Grace Hopper")]
    assert warm == again and warm[0] != warm[1]
    # Python's own policy and a fresh image part for every message, as before the caches.
    monkeypatch.setattr(compose, "POLICY", policy.default)
    compose._image_part.cache_clear()
    stock = [render_bytes(learner_name=name) for name in ("Ada Lovelace", "Grace Hopper")]
    assert stock == warm
    assert b"Content-ID: <badge." in stock[0] and PNG not in stock[0]  # base64, not raw


def test_the_image_part_is_built_once_and_shared():
    compose._image_part.cache_clear()
    first, second = render_email(badge_png=BADGE), render_email(badge_png=BADGE, learner_name="B")

    def badge_part(message):
        return next(p for p in message.walk() if str(p.get("Content-ID", "")).startswith("<badge"))

    assert badge_part(first) is badge_part(second)
    assert compose._image_part.cache_info().misses == 1


def test_remembered_headers_are_parsed_like_fresh_ones():
    made = POLICY.header_factory("Subject", "You earned the Data Foundations badge")
    fresh = policy.default.header_factory("Subject", "You earned the Data Foundations badge")
    assert made == fresh and made.fold(policy=POLICY) == fresh.fold(policy=policy.default)
    assert POLICY.header_factory("Subject", "You earned the Data Foundations badge") is made
