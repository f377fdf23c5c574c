"""Filter values are parsed to their column's type, so filters work on PostgreSQL too."""

from __future__ import annotations

from datetime import date

import pytest

from badgeflow.metrics.filters import parse_filters


def test_values_take_their_columns_type():
    assert parse_filters(
        "metrics_credentials",
        {"bounced": "TRUE", "learner_id": "1003", "issued_week": "2026-11-02", "cohort": "a"},
    ) == {"bounced": True, "learner_id": 1003, "issued_week": date(2026, 11, 2), "cohort": "a"}
    assert parse_filters(
        "metrics_by_course_weekly", {"course_id": "42", "acceptance_rate": "0.5"}
    ) == {
        "course_id": "42",  # the dimension key is text, even when it looks like a number
        "acceptance_rate": 0.5,
    }
    assert parse_filters("metrics_pathway_funnel", {"tier": "2"}) == {"tier": 2}


@pytest.mark.parametrize(
    ("name", "filters", "error"),
    [
        ("metrics_pathway_funnel", {"tier": "two"}, "bad value for tier: 'two'"),
        ("metrics_credentials", {"bounced": "yes"}, "use true or false"),
        ("metrics_overall_weekly", {"week_start": "30/11/2026"}, "bad value for week_start"),
        ("metrics_overall", {"acceptance_rate": "nan"}, "not a finite number"),
        (
            "metrics_credentials",
            {"accepted_at": "2026-11-30"},
            "timestamp columns cannot be filtered",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_a_value_error(name, filters, error):
    with pytest.raises(ValueError, match=error.replace("(", r"\(")):
        parse_filters(name, filters)


def test_unknown_columns_are_a_key_error():
    with pytest.raises(KeyError, match="has no column"):
        parse_filters("metrics_overall", {"course_id": "x"})
