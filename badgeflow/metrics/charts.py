"""Small dependency-free SVG charts for the metrics dashboard, each paired with its data table.

Charts are inline ``<svg role="img">`` with a ``<title>`` and ``<desc>``, axis labels and the
values as text. Colours come from CSS classes (``s1``..``s4``, ``axis``, ``grid``, ``label``)
the page styles with custom properties, so one chart serves the light and the dark scheme; the
palette is Okabe and Ito's, which stays distinct under the common colour-vision deficiencies.
Output depends only on the arguments (no random ids, no clock), so a rebuild is byte-identical.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from markupsafe import Markup, escape

__all__ = ["PALETTE", "Chart", "Series", "bar_chart", "column_chart", "format_number", "funnel"]

# Okabe-Ito (light scheme, dark scheme): what the page's --s1..--s4 custom properties hold.
PALETTE: Final = (
    ("#0072b2", "#56b4e9"),
    ("#d55e00", "#e69f00"),
    ("#009e73", "#2ed3a4"),
    ("#cc79a7", "#e7a6cb"),
)
WIDTH: Final = 640
_MAX_SERIES: Final = len(PALETTE)


@dataclass(frozen=True)
class Series:
    """One named series of values, one per category."""

    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Chart:
    """A rendered chart and the data table that carries the same numbers as text."""

    key: str
    title: str
    description: str
    svg: Markup
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def format_number(value: float | None, digits: int = 1) -> str:
    """Format a figure for people: thousands separators, integers without decimals.

    Args:
        value: the figure; None or NaN for "no figure".
        digits: decimals kept for a non-integral figure.

    Returns:
        The text, ``"–"`` for no figure.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def _text(x: float, y: float, text: str, cls: str, anchor: str = "start", extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" class="{cls}" text-anchor="{anchor}"{extra}>'
        f"{escape(text)}</text>"
    )


def _rect(x: float, y: float, w: float, h: float, cls: str, tip: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
        f'class="{cls}"><title>{escape(tip)}</title></rect>'
    )


def _open(key: str, title: str, description: str, height: float) -> list[str]:
    return [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'aria-labelledby="{key}-title {key}-desc">',
        f'<title id="{key}-title">{escape(title)}</title>',
        f'<desc id="{key}-desc">{escape(description)}</desc>',
    ]


def _legend(names: Sequence[str], y: float) -> list[str]:
    parts, x = [], 8.0
    for index, name in enumerate(names):
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" class="s{index + 1}"/>'
        )
        parts.append(_text(x + 17, y, name, "label"))
        x += 17 + 7.5 * len(name) + 24
    return parts


def _nice_ticks(top: float) -> list[float]:
    """Round tick values from 0 to at least `top`, about five of them."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    # Counts only: steps are whole numbers.
    step = max(1.0, next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))
    count = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(count + 1)]


def _check(categories: Sequence[str], series: Sequence[Series]) -> None:
    if not 1 <= len(series) <= _MAX_SERIES:
        raise ValueError(f"charts take 1 to {_MAX_SERIES} series")
    for one in series:
        if len(one.values) != len(categories):
            raise ValueError(
                f"series {one.name!r} has {len(one.values)} values, not {len(categories)}"
            )


def _table(
    first: str, categories: Sequence[str], series: Sequence[Series]
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    headers = (first, *(s.name for s in series))
    rows = tuple(
        (category, *(format_number(s.values[i]) for s in series))
        for i, category in enumerate(categories)
    )
    return headers, rows


def column_chart(
    key: str,
    title: str,
    description: str,
    categories: Sequence[str],
    bars: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    line: Series | None = None,
    max_tick_labels: int = 13,
) -> Chart:
    """Vertical bars per category (grouped when several series), with an optional line.

    Serves time series (one category per week) and histograms (one per bucket).

    Args:
        key: an id prefix unique in the page (letters, digits, dashes).
        title: the chart's accessible name and heading.
        description: one sentence saying what the chart shows.
        categories: the x axis, left to right.
        bars: the bar series (1 to 4), one value per category.
        x_label: the x axis title.
        y_label: the y axis title.
        line: a series drawn as a line with points over the bars, same scale.
        max_tick_labels: at most this many category labels are written under the axis.

    Returns:
        The chart with its data table (category, then each series).

    Raises:
        ValueError: a series does not have one value per category, or too many series.
    """
    every = [*bars, *([line] if line else [])]
    _check(categories, every)
    left, right, top, plot_h = 56.0, 12.0, 40.0, 220.0
    height = top + plot_h + 56
    ticks = _nice_ticks(max((v for s in every for v in s.values), default=0))
    scale = plot_h / ticks[-1]
    slot = (WIDTH - left - right) / max(len(categories), 1)
    bar_w = slot * 0.8 / len(bars)
    base = top + plot_h
    parts = _open(key, title, description, height)
    parts += _legend([s.name for s in every], 20)
    for tick in ticks:
        y = base - tick * scale
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
        )
        parts.append(_text(left - 6, y + 4, format_number(tick), "label", "end"))
    show_values = bar_w >= 22
    for index, one in enumerate(bars):
        for i, value in enumerate(one.values):
            x = left + i * slot + slot * 0.1 + index * bar_w
            tip = f"{categories[i]}: {one.name} {format_number(value)}"
            parts.append(_rect(x, base - value * scale, bar_w, value * scale, f"s{index + 1}", tip))
            if show_values:
                y = base - value * scale - 4
                parts.append(_text(x + bar_w / 2, y, format_number(value), "value", "middle"))
    if line is not None:
        cls = f"s{len(bars) + 1}"
        points = [(left + (i + 0.5) * slot, base - v * scale) for i, v in enumerate(line.values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" class="line {cls}"/>')
        for (x, y), category, value in zip(points, categories, line.values, strict=True):
            tip = escape(f"{category}: {line.name} {format_number(value)}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" class="{cls}">'
                f"<title>{tip}</title></circle>"
            )
    stride = max(1, math.ceil(len(categories) / max_tick_labels))
    for i, category in enumerate(categories):
        if i % stride == 0:
            parts.append(_text(left + (i + 0.5) * slot, base + 16, category, "label", "middle"))
    parts.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{base}" y2="{base}" class="axis"/>')
    parts.append(_text((left + WIDTH - right) / 2, base + 40, x_label, "axis-title", "middle"))
    parts.append(
        _text(
            14,
            top + plot_h / 2,
            y_label,
            "axis-title",
            "middle",
            f' transform="rotate(-90 14 {top + plot_h / 2:.1f})"',
        )
    )
    parts.append("</svg>")
    headers, rows = _table(x_label, categories, every)
    return Chart(key, title, description, Markup("\n".join(parts)), headers, rows)


def _short(label: str, limit: int = 28) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(
    key: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    category_label: str,
    value_label: str,
) -> Chart:
    """Horizontal bars per category (grouped when several series), values written at the ends.

    Args:
        key: an id prefix unique in the page.
        title: the chart's accessible name and heading.
        description: one sentence saying what the chart shows.
        categories: one row each, top to bottom (long names are shortened in the chart only).
        series: 1 to 4 series, one value per category.
        category_label: what a category is (the data table's first header).
        value_label: the value axis title.

    Returns:
        The chart with its data table.

    Raises:
        ValueError: a series does not have one value per category, or too many series.
    """
    _check(categories, series)
    left, right, top = 200.0, 56.0, 40.0
    bar_h, gap = 16.0, 12.0
    group = bar_h * len(series) + gap
    plot_h = group * max(len(categories), 1)
    height = top + plot_h + 44
    ticks = _nice_ticks(max((v for s in series for v in s.values), default=0))
    scale = (WIDTH - left - right) / ticks[-1]
    parts = _open(key, title, description, height)
    parts += _legend([s.name for s in series], 20)
    for tick in ticks:
        x = left + tick * scale
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + plot_h}" class="grid"/>'
        )
        parts.append(_text(x, top + plot_h + 16, format_number(tick), "label", "middle"))
    for i, category in enumerate(categories):
        y0 = top + i * group + gap / 2
        parts.append(_text(left - 8, y0 + group / 2 - 2, _short(category), "label", "end"))
        for index, one in enumerate(series):
            value = one.values[i]
            y = y0 + index * bar_h
            tip = f"{category}: {one.name} {format_number(value)}"
            parts.append(_rect(left, y + 1, value * scale, bar_h - 2, f"s{index + 1}", tip))
            parts.append(
                _text(left + value * scale + 4, y + bar_h - 4, format_number(value), "value")
            )
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" class="axis"/>')
    parts.append(
        _text((left + WIDTH - right) / 2, top + plot_h + 36, value_label, "axis-title", "middle")
    )
    parts.append("</svg>")
    headers, rows = _table(category_label, categories, series)
    return Chart(key, title, description, Markup("\n".join(parts)), headers, rows)


def funnel(key: str, title: str, description: str, stages: Sequence[tuple[str, int]]) -> Chart:
    """A horizontal funnel: one centred bar per stage, width proportional to its count.

    Args:
        key: an id prefix unique in the page.
        title: the chart's accessible name and heading.
        description: one sentence saying what the chart shows.
        stages: (name, count) from the first stage to the last.

    Returns:
        The chart; its table has stage, count and share of the first stage.
    """
    top, bar_h, gap = 12.0, 30.0, 26.0
    height = top + len(stages) * (bar_h + gap) + 4
    first = stages[0][1] if stages else 0
    widest = max((count for _, count in stages), default=0) or 1
    scale = (WIDTH - 40) / widest
    parts = _open(key, title, description, height)
    rows = []
    for i, (name, count) in enumerate(stages):
        share = f"{count / first:.0%}" if first else "–"
        y = top + i * (bar_h + gap) + 16
        width = max(count * scale, 2.0)
        tip = f"{name}: {format_number(count)} ({share} of {stages[0][0]})"
        parts.append(
            _text(WIDTH / 2, y - 4, f"{name}: {format_number(count)} ({share})", "label", "middle")
        )
        parts.append(_rect((WIDTH - width) / 2, y, width, bar_h, f"s{i % _MAX_SERIES + 1}", tip))
        rows.append((name, format_number(count), share))
    parts.append("</svg>")
    headers = ("Tier", "Learners", f"Share of {stages[0][0]}" if stages else "Share")
    return Chart(key, title, description, Markup("\n".join(parts)), headers, tuple(rows))
