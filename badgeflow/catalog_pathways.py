"""Pathways (``badge_catalog/pathways/<slug>.yaml``): tiers of achievements, checked as a DAG.

The checks that need the achievements (every tier holds the tier before it, no achievement in
two tiers, no unknown achievement) are in `badgeflow.catalog_check`.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from badgeflow.criteria import Clause
from badgeflow.criteria.graph import required_badges

__all__ = ["Pathway", "tier_problems"]

_SLUG = r"^[a-z0-9][a-z0-9-]*$"


class Pathway(BaseModel):
    """A ladder of tiers; a tier is one achievement or several earned side by side.

    In YAML a tier is a slug or a list of slugs (``tiers: [a, [b, c], d]``: ``a``, then ``b``
    and ``c`` in parallel, then ``d``). ``tiers`` lists every achievement in tier order;
    ``levels`` keeps the grouping. Every achievement of a tier must hold (require, through
    ``holds``) every achievement of the tier before it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    slug: str = Field(pattern=_SLUG)
    name: str = Field(min_length=1)
    description: str = ""
    levels: tuple[tuple[Annotated[str, Field(pattern=_SLUG)], ...], ...] = Field(min_length=1)
    tiers: tuple[str, ...] = Field(
        (), description="Every achievement of the pathway, in tier order (derived from levels)."
    )
    on_prerequisite_expiry: Literal["keep", "suspend"] = Field(
        "keep",
        description="What happens to a tier's award when an award it required expires: keep "
        "it (earned is earned) or suspend it until the prerequisite is renewed.",
    )

    @model_validator(mode="before")
    @classmethod
    def _group_tiers(cls, data: Any) -> Any:
        if isinstance(data, dict) and "levels" not in data and isinstance(data.get("tiers"), list):
            levels = [tuple(t) if isinstance(t, list) else (t,) for t in data["tiers"]]
            data = {**data, "levels": levels, "tiers": ()}
        return data

    @model_validator(mode="after")
    def _flatten_tiers(self) -> Pathway:
        object.__setattr__(self, "tiers", tuple(s for level in self.levels for s in level))
        return self


def tier_problems(
    pathway: Pathway, rules: Mapping[str, Clause], known: Collection[str]
) -> list[tuple[int, str]]:
    """Check a pathway's tiers against the achievements.

    Args:
        pathway: the pathway.
        rules: the rule of each achievement that loaded.
        known: every achievement slug of the catalog (a file that failed to load is known
            but has no rule: its own problems are reported, not these).

    Returns:
        (tier index, message) for each problem: an unknown achievement, one listed in two
        tiers, or a tier that does not require every achievement of the tier before it.
    """
    found: list[tuple[int, str]] = []
    seen: set[str] = set()
    for n, level in enumerate(pathway.levels):
        for slug in level:
            if slug in seen:
                found.append((n, f"{slug!r} is listed in two tiers"))
            seen.add(slug)
            if slug not in known:
                close = difflib.get_close_matches(slug, list(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                found.append((n, f"unknown achievement {slug!r}{hint}"))
            if slug not in rules:
                continue
            needed = required_badges(rules[slug])
            for previous in pathway.levels[n - 1] if n else ():
                if previous not in needed:
                    found.append(
                        (
                            n,
                            f"tier {slug!r} must list {previous!r} as a prerequisite: the tier "
                            f"before it; add `holds: {previous}` to its rule's `all:`",
                        )
                    )
    return found
