from __future__ import annotations

from badgeflow.criteria import AllOf, AnyOf, AtLeast, CourseCompleted, HoldsBadge, Not, Where
from badgeflow.criteria.graph import find_cycles, holds_edges, required_badges


def edge(target: str, file: str, line: int) -> tuple[str, Where]:
    return (target, Where(file, line))


def test_a_dag_has_no_cycle():
    edges = {
        "a": [],
        "b": [edge("a", "b.yaml", 3)],
        "c": [edge("a", "c.yaml", 4), edge("b", "c.yaml", 5)],
    }
    assert find_cycles(edges) == []


def test_a_cycle_is_named_in_order_with_each_closing_holds():
    edges = {
        "a": [edge("c", "a.yaml", 7)],
        "b": [edge("a", "b.yaml", 8)],
        "c": [edge("b", "c.yaml", 9)],
        "d": [edge("a", "d.yaml", 2)],
    }
    [problem] = find_cycles(edges)
    assert str(problem) == (
        "b.yaml:8: cyclic prerequisites: a -> c -> b -> a (a.yaml:7: a holds c; "
        "c.yaml:9: c holds b; b.yaml:8: b holds a); an achievement cannot require itself, "
        "directly or through others"
    )


def test_a_badge_that_holds_itself_is_a_cycle():
    [problem] = find_cycles({"a": [edge("a", "a.yaml", 4)]})
    assert str(problem).startswith("a.yaml:4: cyclic prerequisites: a -> a (a.yaml:4: a holds a)")


def test_two_separate_cycles_are_both_reported():
    edges = {
        "a": [edge("b", "a.yaml", 1)],
        "b": [edge("a", "b.yaml", 1)],
        "x": [edge("y", "x.yaml", 1)],
        "y": [edge("x", "y.yaml", 1)],
    }
    assert [p.message.split(" (")[0] for p in find_cycles(edges)] == [
        "cyclic prerequisites: a -> b -> a",
        "cyclic prerequisites: x -> y -> x",
    ]


def test_unknown_targets_are_left_to_the_unknown_check():
    assert find_cycles({"a": [edge("nope", "a.yaml", 1)]}) == []


def test_holds_edges_find_holds_anywhere():
    rule = AllOf((AnyOf((HoldsBadge("a"), Not(HoldsBadge("b")))), HoldsBadge("c", 10)))
    assert [t for t, _ in holds_edges(rule)] == ["a", "b", "c"]


def test_required_badges_are_those_the_rule_cannot_do_without():
    rule = AllOf(
        (
            HoldsBadge("a"),
            AnyOf((HoldsBadge("b"), CourseCompleted("X"))),
            Not(HoldsBadge("c")),
            AtLeast(2, (HoldsBadge("d"), HoldsBadge("e"))),
            AtLeast(1, (HoldsBadge("f"), HoldsBadge("g"))),
        )
    )
    assert required_badges(rule) == {"a", "d", "e"}
    assert required_badges(HoldsBadge("z", 5)) == {"z"}
