"""The SVG chart helpers: accessible, escaped, values as text, deterministic."""

from __future__ import annotations

import re

import pytest

from badgeflow.metrics.charts import Series, bar_chart, column_chart, format_number, funnel


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (1234, "1,234"), (12.0, "12"), (12.345, "12.3"), (None, "–"), (float("nan"), "–")],
)
def test_numbers_are_written_for_people(value, text):
    assert format_number(value) == text


def test_a_column_chart_names_itself_and_writes_every_value_and_label():
    chart = column_chart(
        "c1",
        "Issued <by> week",
        "What & why",
        ["w1", "w2", "w3"],
        [Series("Issued", (3.0, 0.0, 12.0))],
        line=Series("Accepted", (1.0, 2.0, 3.0)),
        x_label="Week",
        y_label="Credentials",
    )
    svg = str(chart.svg)

    assert svg.startswith('<svg class="chart" role="img"')
    assert 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">Issued &lt;by&gt; week</title>' in svg
    assert '<desc id="c1-desc">What &amp; why</desc>' in svg
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert ["3", "0", "12"] == [t for t in texts if t in ("3", "0", "12")][-3:]  # bar values
    assert {"w1", "w2", "w3", "Week", "Credentials", "Issued", "Accepted"} <= set(texts)
    assert svg.count("<rect") == 3 + 2  # bars + legend swatches
    assert "<polyline" in svg and svg.count("<circle") == 3
    assert chart.headers == ("Week", "Issued", "Accepted")
    assert chart.rows == (("w1", "3", "1"), ("w2", "0", "2"), ("w3", "12", "3"))
    assert "http" not in svg and "style=" not in svg  # colours come from the page's CSS


def test_axis_ticks_are_round_whole_numbers_above_the_highest_value():
    chart = column_chart("c", "t", "d", ["a"], [Series("s", (13.0,))], x_label="x", y_label="y")
    ticks = re.findall(r'class="label" text-anchor="end">([^<]*)<', str(chart.svg))
    assert ticks == ["0", "5", "10", "15"]


def test_a_zero_only_chart_still_draws():
    chart = column_chart(
        "z", "t", "d", ["a", "b"], [Series("s", (0.0, 0.0))], x_label="x", y_label="y"
    )
    assert 'height="0.0"' in str(chart.svg) and chart.rows == (("a", "0"), ("b", "0"))


def test_series_must_match_the_categories():
    with pytest.raises(ValueError, match="has 1 values, not 2"):
        bar_chart(
            "b", "t", "d", ["a", "b"], [Series("s", (1.0,))], category_label="c", value_label="v"
        )
    with pytest.raises(ValueError, match="1 to 4 series"):
        column_chart("b", "t", "d", ["a"], [], x_label="x", y_label="y")


def test_long_bar_labels_are_shortened_in_the_chart_only():
    name = "Advanced data engineering with very long names"
    chart = bar_chart(
        "b", "t", "d", [name], [Series("Views", (5.0,))], category_label="Course", value_label="v"
    )
    assert "Advanced data engineering w…" in str(chart.svg)
    assert chart.rows == ((name, "5"),)


def test_a_funnel_keeps_stage_order_and_shares_of_the_first_stage():
    chart = funnel("f", "Pathway", "d", [("Foundations", 40), ("Applied", 22), ("Certified", 8)])
    svg = str(chart.svg)

    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert labels == ["Foundations: 40 (100%)", "Applied: 22 (55%)", "Certified: 8 (20%)"]
    widths = [float(w) for w in re.findall(r'width="([0-9.]+)"', svg)]
    assert widths == sorted(widths, reverse=True)
    assert chart.headers == ("Tier", "Learners", "Share of Foundations")
    assert chart.rows == (
        ("Foundations", "40", "100%"),
        ("Applied", "22", "55%"),
        ("Certified", "8", "20%"),
    )


def test_a_funnel_with_an_empty_first_tier_has_no_shares():
    chart = funnel("f", "P", "d", [("One", 0), ("Two", 0)])
    assert chart.rows == (("One", "0", "–"), ("Two", "0", "–"))


def test_charts_are_deterministic():
    def make():
        return bar_chart(
            "b",
            "t",
            "d",
            ["x", "y"],
            [Series("a", (1.5, 2.0)), Series("b", (3.0, 0.0))],
            category_label="c",
            value_label="v",
        )

    assert make() == make()
