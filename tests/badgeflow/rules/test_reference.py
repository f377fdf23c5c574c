from __future__ import annotations

from hypothesis import given, settings

from badgeflow.models import ACHIEVEMENT_ID, AWARD_KEY, LEARNER_EMAIL, VALID_FROM, VALID_UNTIL
from badgeflow.rules.reference import reference_awards
from tests.badgeflow.test_rules import frame
from tests.badgeflow.test_rules_properties import AS_OF, CATALOG, PROPERTY, build, row_lists, run

COLUMNS = [AWARD_KEY, LEARNER_EMAIL, ACHIEVEMENT_ID, VALID_FROM, VALID_UNTIL]


@settings(PROPERTY, max_examples=30)
@given(row_lists)
def test_the_evaluator_agrees_with_the_reference_on_the_real_catalog(fields):
    """Every achievement of the demo catalog, the expiring ones and their renewals included."""
    df = frame(*build(fields))
    expected = reference_awards(df, CATALOG, as_of=AS_OF)
    got = run(df, catalog=CATALOG).awards[COLUMNS]

    def pick(awards):
        return awards.sort_values([LEARNER_EMAIL, ACHIEVEMENT_ID], ignore_index=True).to_dict(
            "records"
        )

    assert pick(got) == pick(expected)


def test_reference_awards_skip_stored_keys_and_start_at_the_rule_date():
    from tests.badgeflow.test_rules import completion

    df = frame(
        completion("1", "Ada@x.org", "DS101", "2025-01-10"),
        completion("2", "ada@x.org", "DS201", "2025-02-10", score=80.0),
    )
    first = reference_awards(df, CATALOG, as_of=AS_OF)
    assert first[[ACHIEVEMENT_ID, VALID_FROM]].astype(str).values.tolist() == [
        ["data-applied", "2025-02-10 00:00:00+00:00"],
        ["data-foundations", "2025-01-10 00:00:00+00:00"],
    ]
    stored = first.iloc[1:].copy()  # data-foundations is stored; data-applied is not
    again = reference_awards(df, CATALOG, as_of=AS_OF, existing_awards=stored)
    assert again[ACHIEVEMENT_ID].tolist() == ["data-applied"]
