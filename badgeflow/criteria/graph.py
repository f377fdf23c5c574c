"""The achievement graph: edges from ``holds``, cycles named in order, required badges.

An achievement depends on every badge its rule holds (`HoldsBadge`), wherever it is written.
A cycle is reported once, in order (``a -> b -> a``), with the file:line of each ``holds``
that closes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from badgeflow.criteria.nodes import AllOf, AtLeast, Clause, HoldsBadge, Where, walk
from badgeflow.criteria.problems import Problem

__all__ = ["Edges", "find_cycles", "holds_edges", "required_badges"]

Edges = Mapping[str, Sequence[tuple[str, Where | None]]]
"""slug -> the achievements its rule holds, each with where the ``holds`` was written."""


def holds_edges(rule: Clause) -> list[tuple[str, Where | None]]:
    """Every ``holds`` of a rule (repeats included), with where it was written."""
    return [(n.achievement, n.where) for n in walk(rule) if isinstance(n, HoldsBadge)]


def required_badges(rule: Clause) -> frozenset[str]:
    """Badges the rule cannot be met without.

    A `HoldsBadge` is required when only `AllOf` (or an `AtLeast` that needs all its
    clauses) lies between it and the root; under `AnyOf`, `Not` or a partial `AtLeast` it is
    one option among others.
    """
    if isinstance(rule, HoldsBadge):
        return frozenset({rule.achievement})
    if isinstance(rule, AllOf) or (isinstance(rule, AtLeast) and rule.k >= len(rule.clauses)):
        return frozenset().union(*(required_badges(c) for c in rule.clauses))
    return frozenset()


def find_cycles(edges: Edges) -> list[Problem]:
    """Find the cycles of the achievement graph.

    Args:
        edges: for each achievement, the achievements it holds (unknown ones are ignored:
            they are reported as unknown elsewhere).

    Returns:
        One problem per cycle found, at the ``holds`` that closes it, naming the cycle in
        order and the file:line of each of its ``holds``. Empty when the graph is a DAG.
    """
    problems: list[Problem] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(slug: str) -> None:
        state[slug] = 1
        path.append(slug)
        for target, _ in edges.get(slug, ()):
            if target not in edges:
                continue
            if state.get(target) == 1:
                problems.append(_cycle(path[path.index(target) :], edges))
            elif target not in state:
                visit(target)
        path.pop()
        state[slug] = 2

    for slug in sorted(edges):
        if slug not in state:
            visit(slug)
    return problems


def _cycle(members: list[str], edges: Edges) -> Problem:
    ring = [*members, members[0]]
    places: list[str] = []
    closing: Where | None = None
    for source, target in zip(ring, ring[1:], strict=False):
        where = next((w for t, w in edges[source] if t == target), None)
        places.append(f"{where or source}: {source} holds {target}")
        closing = where or closing
    message = (
        f"cyclic prerequisites: {' -> '.join(ring)} ({'; '.join(places)}); "
        "an achievement cannot require itself, directly or through others"
    )
    return Problem(closing or Where(members[-1], 1), message)
