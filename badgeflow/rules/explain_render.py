"""Show an `Explanation`: a plain-text tree (✓/✗, or ASCII) and a JSON-ready dict."""

from __future__ import annotations

from datetime import datetime

from badgeflow.models import JSONDict
from badgeflow.rules.explain import ClauseResult, Evidence, Explanation

__all__ = ["explanation_json", "render_text"]

_UNICODE = {"yes": "✓", "no": "✗", "tee": "├─ ", "end": "└─ ", "bar": "│  ", "gap": "   "}
_ASCII = {"yes": "[x]", "no": "[ ]", "tee": "|- ", "end": "`- ", "bar": "|  ", "gap": "   "}


def render_text(explanation: Explanation, *, ascii: bool = False) -> str:
    """Render an explanation as an indented tree, one clause per line.

    Args:
        explanation: from `badgeflow.rules.explain.explain`.
        ascii: use ``[x]``/``[ ]`` and ASCII branches instead of ✓/✗ and box drawing.

    Returns:
        The text, ending with a newline.
    """
    marks = _ASCII if ascii else _UNICODE
    e = explanation
    verdict = "MET" if e.result.met else "NOT MET"
    lines = [f"{e.achievement} for {e.learner_email} as of {_iso(e.as_of)}: {verdict}"]
    current = [h for h in e.held if h.current(e.as_of)]
    if current:
        h = current[0]
        until = f" until {_iso(h.valid_until)}" if h.valid_until else ""
        lines.append(f"  already holds it: award {h.key[:12]} from {_iso(h.valid_from)}{until}")
    elif e.held:
        states = ", ".join(f"{h.status} from {_iso(h.valid_from)}" for h in e.held)
        lines.append(f"  stored awards, none current: {states}")
    else:
        lines.append("  holds no award of it")
    for start, end in e.periods:
        if not any(h.valid_from == start for h in e.held):
            until = f" until {_iso(end)}" if end else ""
            lines.append(f"  the next run would award it from {_iso(start)}{until}")
    lines.append("")
    _tree(e.result, "", "", marks, lines)
    return "\n".join(lines) + "\n"


def explanation_json(explanation: Explanation) -> JSONDict:
    """A JSON-ready dict of an explanation (dates as ISO 8601 strings).

    Args:
        explanation: from `badgeflow.rules.explain.explain`.

    Returns:
        ``{learner, achievement, as_of, met, holds, held, periods, rule}``; ``rule`` is the
        clause tree, each node with ``clause, text, met, met_at, reason, where, evidence,
        children``.
    """
    e = explanation
    return {
        "learner": e.learner_email,
        "achievement": e.achievement,
        "as_of": _iso(e.as_of),
        "met": e.result.met,
        "holds": e.holds,
        "held": [
            {
                "award_key": h.key,
                "status": h.status,
                "valid_from": _iso(h.valid_from),
                "valid_until": _iso(h.valid_until),
            }
            for h in e.held
        ],
        "periods": [{"valid_from": _iso(s), "valid_until": _iso(u)} for s, u in e.periods],
        "rule": _node(e.result),
    }


def _tree(node: ClauseResult, first: str, rest: str, marks: dict[str, str], out: list[str]) -> None:
    mark = marks["yes"] if node.met else marks["no"]
    when = f" since {node.met_at.date().isoformat()}" if node.met and node.met_at else ""
    where = f"  [{node.where}]" if node.where else ""
    out.append(f"{first}{mark} {node.text}{when}: {node.reason}{where}")
    for i, child in enumerate(node.children):
        last = i == len(node.children) - 1
        branch, carry = (marks["end"], marks["gap"]) if last else (marks["tee"], marks["bar"])
        _tree(child, rest + branch, rest + carry, marks, out)


def _node(node: ClauseResult) -> JSONDict:
    return {
        "clause": type(node.clause).__name__,
        "text": node.text,
        "met": node.met,
        "met_at": _iso(node.met_at),
        "reason": node.reason,
        "where": str(node.where) if node.where else None,
        "evidence": [_evidence(e) for e in node.evidence],
        "children": [_node(c) for c in node.children],
    }


def _evidence(item: Evidence) -> JSONDict:
    return {"kind": item.kind, "at": _iso(item.at), **item.fields}


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()
