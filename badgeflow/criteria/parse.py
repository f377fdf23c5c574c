"""Parse an achievement's ``rules:`` YAML into a clause tree (`badgeflow.criteria.nodes`).

Every clause is one mapping with exactly one *clause key* (``all``, ``any``, ``not``,
``at_least``, ``holds``, ``course``, ``assessment``, ``cohort``, ``attested``) plus that
clause's options; see ``badge_catalog/README.md``. The old form ``{prerequisites: [...],
all_of: [...]}`` is still read: it means ``all:`` of the held badges, then the conditions.

Problems are collected, not raised, so a catalog check lists them all; each names the file
and line (`Problem`). The parser knows nothing of other files: unknown courses, unknown
achievements and cycles are checked by the catalog (`badgeflow.catalog_check`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import yaml

from badgeflow.criteria.nodes import (
    AllOf,
    AnyOf,
    AssessmentPassed,
    AtLeast,
    Attested,
    Clause,
    CourseCompleted,
    HoldsBadge,
    InCohort,
    Not,
    Where,
)
from badgeflow.criteria.problems import Problem, construct, where_of

__all__ = ["CLAUSE_OPTIONS", "LEGACY_KEYS", "parse_rule"]

CLAUSE_OPTIONS: dict[str, tuple[str, ...]] = {
    "all": (),
    "any": (),
    "not": (),
    "at_least": ("of",),
    "holds": ("for_days",),
    "course": ("min_score", "min_modules", "all_modules", "source", "completed"),
    "assessment": ("pass_mark", "source"),
    "cohort": (),
    "attested": (),
}
"""Each clause key and the options it allows beside it."""

LEGACY_KEYS = ("prerequisites", "all_of")
"""The keys of the old ``rules:`` form."""

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"


def parse_rule(node: yaml.Node, file: str) -> tuple[Clause | None, list[Problem]]:
    """Parse the value of an achievement's ``rules:`` key.

    Args:
        node: the YAML node under ``rules:`` (from ``yaml.compose`` with the SafeLoader).
        file: the file name to put in every `Where` and problem.

    Returns:
        The clause tree (None when the rule is too broken to build) and every problem
        found; a tree with problems may be partial and must not be evaluated.
    """
    parser = _Parser(file)
    if isinstance(node, yaml.MappingNode) and any(k.value in LEGACY_KEYS for k, _ in node.value):
        return parser.legacy(node), parser.problems
    return parser.clause(node), parser.problems


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == "tag:yaml.org,2002:null":
        return "nothing"
    return repr(node.value) if node.tag == _STR else str(node.value)


class _Parser:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, node: yaml.Node, message: str) -> None:
        self.problems.append(Problem(where_of(self.file, node), message))

    def keys(self, node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            name = str(key.value)
            if name in found:
                self.problem(key, f"duplicate key {name!r}")
            found[name] = (key, value)
        return found

    def legacy(self, node: yaml.MappingNode) -> Clause | None:
        where = where_of(self.file, node)
        keys = self.keys(node)
        for name, (key, _) in keys.items():
            if name not in LEGACY_KEYS:
                self.problem(
                    key,
                    f"unknown key {name!r} in the old rules form "
                    f"(allowed: {', '.join(LEGACY_KEYS)}; or write one clause, e.g. `all:`)",
                )
        clauses: list[Clause] = []
        if "prerequisites" in keys:
            for item in self.items(keys["prerequisites"][1], "prerequisites", allow_empty=True):
                slug = self.slug(item, "prerequisites")
                if slug is not None:
                    clauses.append(HoldsBadge(slug, where=where_of(self.file, item)))
        if "all_of" not in keys:
            self.problem(node, "the old rules form needs `all_of`: a non-empty list of clauses")
        else:
            clauses.extend(self.children(keys["all_of"][1], "all_of"))
        return AllOf(tuple(clauses), where=where) if clauses else None

    def clause(self, node: yaml.Node) -> Clause | None:
        if not isinstance(node, yaml.MappingNode):
            self.problem(
                node,
                f"a clause must be a mapping with one of {', '.join(CLAUSE_OPTIONS)}; "
                f"got {_describe(node)}",
            )
            return None
        keys = self.keys(node)
        kinds = [k for k in keys if k in CLAUSE_OPTIONS]
        if len(kinds) != 1:
            if kinds:
                message = (
                    f"two clause keys ({', '.join(kinds)}) in one mapping; write each clause "
                    "as its own item of an `all:` or `any:` list"
                )
            else:
                message = (
                    f"no clause key among {', '.join(sorted(keys)) or '(nothing)'}; "
                    f"a clause needs one of: {', '.join(CLAUSE_OPTIONS)}"
                )
            self.problem(node, message)
            return None
        kind = kinds[0]
        allowed = (kind, *CLAUSE_OPTIONS[kind])
        for name, (key, _) in keys.items():
            if name not in allowed:
                self.problem(
                    key,
                    f"unknown key {name!r} in a `{kind}` clause (allowed: {', '.join(allowed)})",
                )
        values = {name: value for name, (_, value) in keys.items()}
        return _BUILDERS[kind](self, values, where_of(self.file, node))

    def items(self, node: yaml.Node, key: str, *, allow_empty: bool = False) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode) or (not node.value and not allow_empty):
            self.problem(node, f"`{key}` must be a non-empty list; got {_describe(node)}")
            return []
        return list(node.value)

    def children(self, node: yaml.Node, key: str) -> list[Clause]:
        parsed = [self.clause(item) for item in self.items(node, key)]
        return [c for c in parsed if c is not None]

    def text(self, node: yaml.Node, key: str) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag in (_STR, _INT) and node.value:
            return str(node.value)
        self.problem(node, f"`{key}` must be a name (text); got {_describe(node)}")
        return None

    def slug(self, node: yaml.Node, key: str) -> str | None:
        value = self.text(node, key)
        if value is not None and not _SLUG.fullmatch(value):
            self.problem(node, f"`{key}`: {value!r} is not an achievement slug (a-z, 0-9, -)")
            return None
        return value

    def number(
        self, node: yaml.Node, key: str, *, integer: bool, top: float | None
    ) -> float | None:
        tags = (_INT,) if integer else (_INT, _FLOAT)
        value: float | None = None
        if isinstance(node, yaml.ScalarNode) and node.tag in tags:
            value = construct(node)
        bounds = f"0 to {top:g}" if top is not None else "0 or more"
        if value is None or value < 0 or (top is not None and value > top):
            kind = "a whole number" if integer else "a number"
            self.problem(node, f"`{key}` must be {kind} from {bounds}; got {_describe(node)}")
            return None
        return value

    def flag(self, node: yaml.Node, key: str) -> bool:
        if isinstance(node, yaml.ScalarNode) and node.tag == _BOOL:
            return node.value.lower() in ("true", "yes", "on")
        self.problem(node, f"`{key}` must be true or false; got {_describe(node)}")
        return False


_Values = dict[str, yaml.Node]


def _all(p: _Parser, v: _Values, where: Where) -> Clause:
    return AllOf(tuple(p.children(v["all"], "all")), where=where)


def _any(p: _Parser, v: _Values, where: Where) -> Clause:
    return AnyOf(tuple(p.children(v["any"], "any")), where=where)


def _not(p: _Parser, v: _Values, where: Where) -> Clause | None:
    inner = p.clause(v["not"])
    return Not(inner, where=where) if inner is not None else None


def _at_least(p: _Parser, v: _Values, where: Where) -> Clause | None:
    k = p.number(v["at_least"], "at_least", integer=True, top=None)
    if "of" not in v:
        p.problems.append(Problem(where, "`at_least` needs `of`: the list of clauses to count"))
        return None
    written = p.items(v["of"], "of")
    clauses = tuple(c for c in (p.clause(item) for item in written) if c is not None)
    if k is not None and written and not 1 <= k <= len(written):
        p.problem(
            v["at_least"],
            f"`at_least: {k:g}` is out of range: `of` lists {len(written)} clause(s), "
            f"so k must be 1 to {len(written)}",
        )
    return AtLeast(int(k), clauses, where=where) if k is not None else None


def _holds(p: _Parser, v: _Values, where: Where) -> Clause | None:
    slug = p.slug(v["holds"], "holds")
    days = p.number(v["for_days"], "for_days", integer=True, top=None) if "for_days" in v else 0
    return HoldsBadge(slug, int(days or 0), where=where) if slug is not None else None


def _course(p: _Parser, v: _Values, where: Where) -> Clause | None:
    course = p.text(v["course"], "course")
    if "completed" in v and not p.flag(v["completed"], "completed"):
        p.problem(v["completed"], "`completed` can only be true (a course must be completed)")
    score = (
        p.number(v["min_score"], "min_score", integer=False, top=100) if "min_score" in v else None
    )
    modules = (
        p.number(v["min_modules"], "min_modules", integer=True, top=None)
        if "min_modules" in v
        else None
    )
    return (
        CourseCompleted(
            course,
            source=p.text(v["source"], "source") if "source" in v else None,
            min_score=score,
            min_modules=int(modules) if modules is not None else None,
            all_modules=p.flag(v["all_modules"], "all_modules") if "all_modules" in v else False,
            where=where,
        )
        if course is not None
        else None
    )


def _assessment(p: _Parser, v: _Values, where: Where) -> Clause | None:
    course = p.text(v["assessment"], "assessment")
    if "pass_mark" not in v:
        p.problems.append(Problem(where, "`assessment` needs `pass_mark` (0 to 100)"))
        return None
    mark = p.number(v["pass_mark"], "pass_mark", integer=False, top=100)
    source = p.text(v["source"], "source") if "source" in v else None
    if course is None or mark is None:
        return None
    return AssessmentPassed(course, mark, source=source, where=where)


def _cohort(p: _Parser, v: _Values, where: Where) -> Clause | None:
    name = p.text(v["cohort"], "cohort")
    return InCohort(name, where=where) if name is not None else None


def _attested(p: _Parser, v: _Values, where: Where) -> Clause | None:
    name = p.text(v["attested"], "attested")
    return Attested(name, where=where) if name is not None else None


_BUILDERS: dict[str, Callable[[_Parser, _Values, Where], Clause | None]] = {
    "all": _all,
    "any": _any,
    "not": _not,
    "at_least": _at_least,
    "holds": _holds,
    "course": _course,
    "assessment": _assessment,
    "cohort": _cohort,
    "attested": _attested,
}
