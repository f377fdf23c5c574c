from __future__ import annotations

from hypothesis import given, settings

from badgeflow.models import ACHIEVEMENT_ID, AWARD_KEY, LEARNER_EMAIL, VALID_FROM, VALID_UNTIL
from badgeflow.rules.reference import reference_awards
from tests.badgeflow.test_rules import frame
from tests.badgeflow.test_rules_properties import AS_OF, CATALOG, PROPERTY, build, row_lists, run

COLUMNS = [AWARD_KEY, LEARNER_EMAIL, ACHIEVEMENT_ID, VALID_FROM, VALID_UNTIL]
# Today's row-by-row evaluator starts a renewal inside a period it did not issue because that
# period had already ended at as_of; the semantics (badgeflow.criteria.nodes) chain periods
# whether issued or not, so both agree only on achievements that never expire (and whose
# prerequisites never do). The vectorised evaluator is to agree on all of them.
NEVER_EXPIRING = sorted(
    slug
    for slug in CATALOG.achievements
    if all(
        CATALOG.achievement(s).valid_for_days is None
        for s in (slug, *CATALOG.achievement(slug).dependencies)
    )
)


@settings(PROPERTY, max_examples=30)
@given(row_lists)
def test_the_evaluator_agrees_with_the_reference_on_never_expiring_achievements(fields):
    df = frame(*build(fields))
    expected = reference_awards(df, CATALOG, as_of=AS_OF)
    got = run(df, catalog=CATALOG).awards[COLUMNS]
    assert NEVER_EXPIRING == ["data-applied", "data-foundations", "sql-essentials"]

    def pick(awards):
        mine = awards[awards[ACHIEVEMENT_ID].isin(NEVER_EXPIRING)]
        return mine.sort_values([LEARNER_EMAIL, ACHIEVEMENT_ID], ignore_index=True).to_dict(
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
