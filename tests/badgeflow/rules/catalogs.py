"""Catalogs built in Python with a clause tree per achievement (no YAML, no parser)."""

from __future__ import annotations

from pathlib import Path

from badgeflow.catalog import Achievement, Catalog, IssuerProfile, Pathway
from badgeflow.criteria import Clause


def achievement(
    slug: str,
    rule: Clause,
    *,
    valid_for_days: int | None = None,
    renewal_window_days: int | None = None,
) -> Achievement:
    return Achievement.model_construct(
        slug=slug,
        name=slug,
        description=slug,
        image=f"images/{slug}.svg",
        valid_for_days=valid_for_days,
        renewal_window_days=renewal_window_days,
        rule=rule,
    )


def catalog(
    rules: dict[str, Clause],
    *,
    expiring: dict[str, int] | None = None,
    pathways: dict[str, tuple[tuple[str, ...], str]] | None = None,
    windows: dict[str, int] | None = None,
) -> Catalog:
    """A catalog from slug -> rule, slug -> valid_for_days, pathway -> (tiers, policy)."""
    expiring = expiring or {}
    return Catalog.model_construct(
        root=Path("."),
        issuer=IssuerProfile.model_construct(name="Test", url="https://example.org"),
        achievements={
            slug: achievement(
                slug,
                rule,
                valid_for_days=expiring.get(slug),
                renewal_window_days=(windows or {}).get(slug),
            )
            for slug, rule in rules.items()
        },
        pathways={
            slug: Pathway.model_construct(
                slug=slug, name=slug, tiers=tiers, on_prerequisite_expiry=policy
            )
            for slug, (tiers, policy) in (pathways or {}).items()
        },
        endorsement_documents={},
    )
