"""``validation.html``: one batch's contract outcome, readable offline from ``file://``.

Our own template rather than GX's data docs, which pull styles and scripts from CDNs: the page
has inline CSS, no script and no remote reference at all. Learner emails are masked
(``a***@example.com``) wherever they appear, since a report is easily forwarded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from badgeflow.contracts_batch import halt_message
from badgeflow.store.reports import QuarantineRecord

__all__ = ["TOP_REASONS", "mask_emails", "render_validation_html"]

TOP_REASONS: Final = 10
_EMAIL: Final = re.compile(r"([^\s@<>\"',;:()\[\]{}=]+)@([^\s@<>\"',;:()\[\]{}=]+)")

_env = Environment(
    loader=PackageLoader("badgeflow", "templates"),
    autoescape=select_autoescape(default_for_string=True, default=True),
    undefined=StrictUndefined,
)


def mask_emails(text: str) -> str:
    """Mask every email-like part of a text, keeping its first character and the domain.

    Args:
        text: any text (a reason, a raw cell, a record key).

    Returns:
        The text with ``amelia.hart@example.com`` shown as ``a***@example.com``.

    Examples:
        >>> mask_emails("learner amelia.hart@example.com is not enrolled")
        'learner a***@example.com is not enrolled'
    """
    return _EMAIL.sub(lambda m: f"{m.group(1)[0]}***@{m.group(2)}", text)


def render_validation_html(
    *,
    batch_id: str,
    as_of: str,
    sections: Mapping[str, Mapping[str, Any]],
    records: Sequence[QuarantineRecord],
    max_rows: int,
) -> str:
    """Render the validation report of one batch.

    Args:
        batch_id: the batch.
        as_of: the batch clock, as stored in its summary.
        sections: source → contract section (`SourceContract.as_dict`; the summary's
            ``contracts``).
        records: every quarantined row of the batch.
        max_rows: quarantined rows shown per source (the CSV has them all).

    Returns:
        A complete, self-contained HTML document.
    """
    by_source: dict[str, list[QuarantineRecord]] = {}
    for record in records:
        by_source.setdefault(record.source, []).append(record)
    names = list(dict.fromkeys([*sections, *by_source]))
    halted = halt_message(sections)
    accepted = [n for n in names if sections.get(n, {}).get("breach_accepted")]
    return _env.get_template("reports/validation.html").render(
        batch_id=batch_id,
        as_of=as_of,
        halted=halted,
        accepted=accepted,
        sources=[_source(n, sections.get(n, {}), by_source.get(n, []), max_rows) for n in names],
    )


def _source(
    name: str, section: Mapping[str, Any], rows: list[QuarantineRecord], max_rows: int
) -> dict[str, Any]:
    rows_in = section.get("rows_in")
    quarantined = section.get("quarantined", len(rows))
    passed = section.get("accepted")
    return {
        "name": name,
        "suite": section.get("suite", "unknown"),
        "read": "full read" if section.get("full_read") else "incremental pull",
        "rows_in": "–" if rows_in is None else rows_in,
        "passed": "–" if passed is None else passed,
        "quarantined": quarantined,
        "stored": 0 if section.get("halted") else ("–" if passed is None else passed),
        "halted": bool(section.get("halted")),
        "breach_accepted": bool(section.get("breach_accepted")),
        "rules": [_rule(r) for r in section.get("rules", [])],
        "expectations": [
            {
                "expectation": e.get("expectation", ""),
                "columns": ", ".join(map(str, e.get("columns", []))),
                "success": bool(e.get("success")),
                "unexpected_count": e.get("unexpected_count", 0),
            }
            for e in section.get("expectations", [])
        ],
        "reasons": [
            (mask_emails(str(r)), n)
            for r, n in list(section.get("reasons", {}).items())[:TOP_REASONS]
        ],
        "rows": [_row(r) for r in rows[:max_rows]],
        "rows_total": len(rows),
    }


def _rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    figure = rule.get("figure")
    if not rule.get("applied"):
        status = "not applied"
    else:
        status = "passed" if rule.get("passed") else "TRIPPED"
    return {
        "rule": rule.get("rule", ""),
        "status": status,
        "figure": "–" if figure is None else f"{float(figure) * 100:.1f}%",
        "limit": f"{float(rule.get('limit', 0)) * 100:g}%",
        "detail": rule.get("detail", ""),
        "message": rule.get("message", ""),
    }


def _row(record: QuarantineRecord) -> dict[str, Any]:
    cells = "; ".join(
        f"{k}={v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}"
        for k, v in (record.raw or {}).items()
    )
    return {
        "row_number": "" if record.row_number is None else record.row_number,
        "record_key": mask_emails(record.record_key or ""),
        "reason": mask_emails(record.reason),
        "check": (
            f"{record.expectation} on {record.column_name}: "
            f"{mask_emails('empty' if record.value is None else record.value)}"
            if record.expectation
            else ""
        ),
        "raw": mask_emails(cells),
    }
