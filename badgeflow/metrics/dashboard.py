"""The static metrics dashboard: one self-contained HTML page and the CSV files behind it.

Read only through the documented views (`badgeflow.metrics.read.read_view`); shows aggregates
only (no learner, email or credential id). The page has inline CSS and inline SVG charts, no
script and no external asset, so it works from disk, from any web server and offline.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import Connection

from badgeflow.metrics._records import csv_text, records
from badgeflow.metrics.charts import (
    Chart,
    Series,
    bar_chart,
    column_chart,
    format_number,
    funnel,
)
from badgeflow.metrics.read import read_view
from badgeflow.metrics.views import view
from badgeflow.settings import Settings

__all__ = [
    "BUCKETS",
    "DashboardReport",
    "dashboard_dir",
    "time_to_accept_buckets",
    "write_dashboard",
]

# (label, upper bound in hours, exclusive); a bucket holds lower <= hours < upper.
BUCKETS: Final = (
    ("< 1 h", 1.0),
    ("1–6 h", 6.0),
    ("6–24 h", 24.0),
    ("1–3 d", 72.0),
    ("3–7 d", 168.0),
    ("1–2 w", 336.0),
    ("> 2 w", math.inf),
)
SHOWN_VIEWS: Final = (
    "metrics_overall",
    "metrics_by_course",
    "metrics_by_achievement",
    "metrics_pathway_funnel",
)
MAX_COURSES: Final = 15

_env = Environment(
    loader=PackageLoader("badgeflow", "templates"),
    autoescape=select_autoescape(),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["num"] = format_number
_env.filters["pct"] = lambda v: "–" if v is None or pd.isna(v) else f"{v:.0%}"


@dataclass(frozen=True)
class DashboardReport:
    """What `write_dashboard` wrote: the page, its charts, and the rows of each data file."""

    path: Path
    charts: tuple[str, ...]
    rows: dict[str, int]
    issued: int
    data_as_of: datetime | None


def dashboard_dir(settings: Settings) -> Path:
    """Where the dashboard goes: ``engagement.dashboard_dir``, else ``<var_dir>/dashboard``."""
    return settings.engagement.dashboard_dir or settings.var_dir / "dashboard"


def time_to_accept_buckets(hours: Iterable[float]) -> list[int]:
    """Count hours-to-accept in `BUCKETS` (a negative figure, from clock skew, counts as < 1 h).

    Args:
        hours: hours from issue to acceptance; NaN (not accepted) is skipped.

    Returns:
        One count per bucket, in `BUCKETS` order.
    """
    counts = [0] * len(BUCKETS)
    for value in hours:
        if value is None or math.isnan(value):
            continue
        counts[next(i for i, (_, upper) in enumerate(BUCKETS) if value < upper)] += 1
    return counts


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _weekly(credentials: pd.DataFrame) -> pd.DataFrame:
    """Issued per issue week and accepted per acceptance week, every week in between."""
    issued = pd.Series([d for d in credentials["issued_week"]], dtype=object).value_counts()
    accepted_at = credentials["accepted_at"].dropna()
    accepted = pd.Series([_monday(t.date()) for t in accepted_at], dtype=object).value_counts()
    weeks = sorted({*issued.index, *accepted.index})
    if not weeks:
        return pd.DataFrame({"week_start": [], "issued": [], "accepted": []})
    every, week = [], weeks[0]
    while week <= weeks[-1]:
        every.append(week)
        week += timedelta(days=7)
    return pd.DataFrame(
        {
            "week_start": every,
            "issued": [int(issued.get(w, 0)) for w in every],
            "accepted": [int(accepted.get(w, 0)) for w in every],
        }
    )


def _charts(
    weekly: pd.DataFrame, histogram: list[int], courses: pd.DataFrame, tiers: pd.DataFrame
) -> list[Chart]:
    charts = [
        column_chart(
            "acceptance",
            "Acceptance over time",
            "Badges issued per issue week (bars) and accepted per acceptance week (line).",
            [w.isoformat() for w in weekly["week_start"]],
            [Series("Issued", tuple(float(v) for v in weekly["issued"]))],
            line=Series("Accepted", tuple(float(v) for v in weekly["accepted"])),
            x_label="Week starting",
            y_label="Credentials",
            max_tick_labels=6,
        ),
        column_chart(
            "time-to-accept",
            "Time to acceptance",
            "How long accepted badges waited between issue and acceptance.",
            [label for label, _ in BUCKETS],
            [Series("Accepted badges", tuple(float(v) for v in histogram))],
            x_label="Time from issue to acceptance",
            y_label="Accepted badges",
        ),
    ]
    if len(courses):
        top = courses.sort_values(["issued", "course_id"], ascending=[False, True])
        top = top.head(MAX_COURSES)
        charts.append(
            bar_chart(
                "courses",
                "Shares and verifications by course",
                "Share clicks and credential page views by people, per course"
                + (
                    f" (the {MAX_COURSES} courses with most badges)."
                    if len(courses) > MAX_COURSES
                    else "."
                ),
                [c or "(no course)" for c in top["course_id"]],
                [
                    Series("Shares", tuple(float(v) for v in top["shares"])),
                    Series(
                        "Verification views", tuple(float(v) for v in top["verification_views"])
                    ),
                ],
                category_label="Course",
                value_label="Count (people, one per visitor and day)",
            )
        )
    for index, (_, pathway) in enumerate(tiers.groupby("pathway", sort=True)):
        pathway = pathway.sort_values("tier")
        name = str(pathway["pathway_name"].iloc[0])
        stages = [
            (str(t), int(n)) for t, n in zip(pathway["tier_name"], pathway["learners"], strict=True)
        ]
        charts.append(
            funnel(
                f"funnel-{index + 1}",
                f"Pathway funnel: {name}",
                f"Learners holding each tier of the {name} pathway, first tier at the top.",
                stages,
            )
        )
    return charts


def _write(path: Path, text: str) -> None:
    """Write atomically: a reader sees the old file or the new one, never half."""
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False, newline=""
    ) as handle:
        handle.write(text)
    os.replace(handle.name, path)


def _latest(frames: Iterable[pd.DataFrame]) -> datetime | None:
    stamps = [t for f in frames if "computed_at" in f for t in f["computed_at"].dropna()]
    return max(stamps).to_pydatetime() if stamps else None


def _hours(value: Any) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} days"


def write_dashboard(
    connection: Connection,
    out_dir: Path,
    *,
    clock: Callable[[], datetime],
    title: str = "badgeflow engagement",
) -> DashboardReport:
    """Write the dashboard: ``index.html`` and ``data/<name>.csv`` for each table it shows.

    Data files: the views ``metrics_overall``, ``metrics_by_course``, ``metrics_by_achievement``
    and ``metrics_pathway_funnel`` as they are, plus ``acceptance_over_time.csv`` and
    ``time_to_accept.csv``, the two charts' aggregates of ``metrics_credentials`` (which holds
    credential and learner ids and is therefore not copied). Each file is written atomically,
    ``index.html`` last.

    Args:
        connection: a connection to a database at the current schema.
        out_dir: the folder (created if missing).
        clock: gives the "generated at" time.
        title: the page title.

    Returns:
        The page's path, its chart titles, the row count of each data file, the number of
        credentials issued and the latest ``computed_at`` of the figures.
    """
    frames = {name: read_view(connection, name) for name in SHOWN_VIEWS}
    credentials = read_view(connection, "metrics_credentials")
    weekly = _weekly(credentials)
    histogram = time_to_accept_buckets(float(h) for h in credentials["hours_to_accept"].dropna())
    overall = frames["metrics_overall"]
    issued = int(overall["issued"].iloc[0]) if len(overall) else len(credentials)
    charts = _charts(
        weekly, histogram, frames["metrics_by_course"], frames["metrics_pathway_funnel"]
    )
    data_as_of = _latest(frames.values())
    tables = {name: (list(view(name).columns), records(frame)) for name, frame in frames.items()}
    tables["acceptance_over_time"] = (list(weekly.columns), records(weekly))
    tables["time_to_accept"] = (
        ["bucket", "accepted"],
        [
            {"bucket": label, "accepted": n}
            for (label, _), n in zip(BUCKETS, histogram, strict=True)
        ],
    )
    (out_dir / "data").mkdir(parents=True, exist_ok=True)
    for name, (columns, rows) in tables.items():
        _write(out_dir / "data" / f"{name}.csv", csv_text(columns, rows))
    html = _env.get_template("dashboard/index.html").render(
        title=title,
        generated_at=clock(),
        data_as_of=data_as_of,
        issued=issued,
        overall=records(overall)[0] if len(overall) else None,
        charts=charts if issued else [],
        achievements=records(frames["metrics_by_achievement"]),
        files=sorted(tables),
        hours=_hours,
    )
    page = out_dir / "index.html"
    _write(page, html)
    return DashboardReport(
        path=page,
        charts=tuple(c.title for c in charts) if issued else (),
        rows={name: len(rows) for name, (_, rows) in tables.items()},
        issued=issued,
        data_as_of=data_as_of,
    )
