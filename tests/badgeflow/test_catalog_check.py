from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
import yaml

from badgeflow.catalog import load_catalog
from badgeflow.catalog_check import check_catalog
from badgeflow.criteria import AllOf
from badgeflow.criteria.parse import parse_rule
from badgeflow.errors import CatalogError

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "catalog" / "tiny"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    target = tmp_path / "cat"
    shutil.copytree(TINY, target)
    return target


def write(root: Path, slug: str, rules: str, *, head: str = "") -> str:
    """An achievement whose `rules:` is on line 4 (plus the lines of `head`)."""
    path = root / "achievements" / f"{slug}.yaml"
    body = textwrap.indent(textwrap.dedent(rules), "  ")
    path.write_text(
        f"name: {slug.title()}\ndescription: d\nimage: images/basics.svg\n{head}rules:\n{body}"
    )
    return str(path)


def problems(root: Path) -> list[str]:
    return [str(p) for p in check_catalog(root).problems]


def test_the_tiny_catalog_is_ok(root: Path):
    check = check_catalog(root)
    assert check.problems == ()
    assert check.catalog is not None
    assert check.summary() == "2 achievements, 0 pathways, 2 courses: OK"


def test_an_unknown_course_is_named_with_file_and_line(root: Path):
    file = write(root, "extra", "all:\n  - holds: basics\n  - course: A11\n")
    assert problems(root) == [
        f"{file}:7: unknown course 'A11': not listed in courses.yaml (did you mean 'A1'?)"
    ]


def test_an_unknown_held_achievement_is_named(root: Path):
    file = write(root, "extra", "holds: basic\n")
    assert problems(root) == [
        f"{file}:5: holds unknown achievement 'basic' (did you mean 'basics'?)"
    ]


def test_a_cycle_across_files_names_each_holds(root: Path):
    a = write(root, "aa", "all:\n  - holds: bb\n  - course: A1\n")
    b = write(root, "bb", "holds: aa\nfor_days: 3\n")
    [found] = problems(root)
    assert found == (
        f"{b}:5: cyclic prerequisites: aa -> bb -> aa ({a}:6: aa holds bb; {b}:5: bb holds aa); "
        "an achievement cannot require itself, directly or through others"
    )
    with pytest.raises(CatalogError, match="cyclic prerequisites: aa -> bb -> aa"):
        load_catalog(root)


def test_every_problem_is_listed_not_only_the_first(root: Path):
    one = write(root, "one", "course: A1\nmin_scor: 5\n")
    two = write(root, "two", "any: []\n")
    three = write(root, "three", "course: ZZ1\n")
    (root / "achievements" / "four.yaml").write_text("name: [unclosed\n")
    found = problems(root)
    assert [p.rsplit(": ", 1)[0].split(": ")[0] for p in found] == [
        f"{root}/achievements/four.yaml:2",
        f"{one}:6",
        f"{two}:5",
        f"{three}:5",
    ]
    with pytest.raises(CatalogError, match=r"the badge catalog has 4 problems:\n") as info:
        load_catalog(root)
    assert str(info.value).count("\n") == 4
    assert found[0].endswith(
        "four.yaml:2: not valid YAML: expected ',' or ']', but got '<stream end>' "
        "(while parsing a flow sequence at line 1)"
    )
    assert check_catalog(root).summary() == "6 achievements, 0 pathways, 2 courses: 4 problems"


def test_a_missing_course_registry_is_a_problem(root: Path):
    (root / "courses.yaml").unlink()
    found = problems(root)
    assert found[0] == f"{root}/courses.yaml:1: missing"
    assert "unknown course 'A1': not listed in courses.yaml" in found[1]


def test_course_registry_entries_are_checked(root: Path):
    (root / "courses.yaml").write_text(
        "courses:\n  A1:\n    name: A\n    sources: [moodle]\n"
        "  B1:\n    nme: B\n  A1:\n    name: again\n"
    )
    write(root, "extra", "course: A1\nsource: canvas\n")
    file = root / "courses.yaml"
    assert problems(root) == [
        f"{file}:6: course B1: name: Field required",
        f"{file}:6: course B1: nme: Extra inputs are not permitted",
        f"{file}:7: course 'A1' is listed twice",
        f"{root}/achievements/basics.yaml:11: unknown course 'B1': not listed in courses.yaml",
        f"{root}/achievements/extra.yaml:5: source 'canvas' does not deliver A1 "
        "(per courses.yaml: moodle)",
    ]


def test_field_errors_point_at_their_line(root: Path):
    file = write(root, "extra", "course: A1\n", head="valid_for_days: 0\nslug: other\n")
    assert problems(root) == [
        f"{file}:5: slug 'other' does not match the file name 'extra'",
        f"{file}:4: valid_for_days: Input should be greater than or equal to 1",
    ]


def test_a_narrative_that_disagrees_with_its_rule_is_reported_at_the_narrative(root: Path):
    head = "criteria:\n  narrative: Complete A1 with 80%.\n"
    file = write(root, "extra", "course: A1\nmin_score: 70\n", head=head)
    assert problems(root) == [
        f"{file}:5: criteria.narrative does not state the minimum score of A1 (70)",
        f"{file}:5: criteria.narrative mentions 80%, which is not a threshold of the rule "
        "(its thresholds: 70%)",
    ]


def test_without_a_written_narrative_credentials_use_the_generated_one(root: Path):
    write(root, "extra", "all:\n  - holds: basics\n  - assessment: A1\n    pass_mark: 60\n")
    catalog = load_catalog(root)
    info = catalog.achievement_info("extra", site_base_url="https://x.example")
    assert (
        info.criteria_narrative
        == catalog.generated_narrative("extra")
        == (
            "Awarded to learners who meet **all** of the following:\n\n"
            "1. hold the **Basics** badge\n"
            '2. achieve a final assessment score of at least 60% in **A1** "Advanced course"\n'
        )
    )
    written = catalog.achievement_info("basics", site_base_url="https://x.example")
    assert written.criteria_narrative == catalog.achievement("basics").criteria.narrative


def pathway(root: Path, tiers: str) -> Path:
    (root / "pathways").mkdir(exist_ok=True)
    path = root / "pathways" / "ladder.yaml"
    path.write_text(f"name: Ladder\non_prerequisite_expiry: suspend\ntiers:\n{tiers}")
    return path


def test_a_tier_may_be_several_achievements_side_by_side(root: Path):
    write(root, "side", "course: B1\n")
    write(root, "top", "all:\n  - holds: advanced\n  - holds: side\n")
    pathway(root, "  - basics\n  - [advanced, side]\n  - top\n")
    assert "side" in problems(root)[0]  # side does not hold basics
    write(root, "side", "all: [{holds: basics}, {course: B1}]\n")
    ladder = load_catalog(root).pathways["ladder"]
    assert ladder.levels == (("basics",), ("advanced", "side"), ("top",))
    assert ladder.tiers == ("basics", "advanced", "side", "top")
    assert ladder.on_prerequisite_expiry == "suspend"


def test_a_tier_must_require_every_badge_of_the_tier_before(root: Path):
    write(root, "side", "all: [{holds: basics}, {course: B1}]\n")
    write(root, "top", "any:\n  - holds: advanced\n  - holds: side\n")
    file = pathway(root, "  - basics\n  - [advanced, side]\n  - top\n  - nope\n  - basics\n")
    assert problems(root) == [
        f"{file}:6: tier 'top' must list 'advanced' as a prerequisite: the tier before it; add "
        "`holds: advanced` to its rule's `all:`",
        f"{file}:6: tier 'top' must list 'side' as a prerequisite: the tier before it; add "
        "`holds: side` to its rule's `all:`",
        f"{file}:7: unknown achievement 'nope'",
        f"{file}:8: 'basics' is listed in two tiers",
        f"{file}:8: tier 'basics' must list 'nope' as a prerequisite: the tier before it; add "
        "`holds: nope` to its rule's `all:`",
    ]


def test_a_course_may_be_registered_by_name_alone(root: Path):
    (root / "courses.yaml").write_text("courses:\n  A1: Advanced course\n  B1: {name: B}\n")
    courses = load_catalog(root).courses
    assert (courses["A1"].name, courses["B1"].name, courses["A1"].sources) == (
        "Advanced course",
        "B",
        (),
    )


def test_the_readme_example_rule_parses():
    readme = (Path(__file__).resolve().parents[2] / "badge_catalog" / "README.md").read_text()
    example = readme.split("## The criteria language")[1].split("```yaml\n")[1].split("```")[0]
    top = yaml.compose(example, Loader=yaml.SafeLoader)
    rule, found = parse_rule(top.value[0][1], "README.md")
    assert found == [] and isinstance(rule, AllOf) and len(rule.clauses) == 9


def test_a_broken_achievement_is_reported_once_not_also_as_unknown(root: Path):
    broken = write(root, "mid", "course: A1\nmin_scor: 1\n")
    write(root, "top", "all: [{holds: mid}, {course: A1}]\n")
    ladder = pathway(root, "  - mid\n  - top\n")
    (root / "pathways" / "empty.yaml").write_text("name: Empty\ntiers: []\n")
    assert problems(root) == [
        f"{broken}:6: unknown key 'min_scor' in a `course` clause (allowed: course, min_score, "
        "min_modules, all_modules, source, completed)",
        f"{root}/pathways/empty.yaml:2: tiers: Tuple should have at least 1 item after "
        "validation, not 0",
    ]
    assert ladder.is_file()


@pytest.mark.parametrize(
    ("head", "message"),
    [
        ("renewal_window_days: 30\n", "renewal_window_days (30) needs valid_for_days"),
        (
            "valid_for_days: 30\nrenewal_window_days: 30\n",
            "renewal_window_days (30) needs valid_for_days, and must be shorter than it (30)",
        ),
    ],
)
def test_a_renewal_window_needs_a_longer_validity(root: Path, head: str, message: str):
    file = write(root, "extra", "course: A1\n", head=head)
    line = 5 if head.startswith("valid") else 4
    [found] = problems(root)
    assert found.startswith(f"{file}:{line}: {message}")


def test_the_generated_narrative_states_the_renewal_window(root: Path):
    write(root, "extra", "course: A1\n", head="valid_for_days: 365\nrenewal_window_days: 60\n")
    assert (
        load_catalog(root)
        .generated_narrative("extra")
        .endswith(
            "The badge is valid for **365 days** from the date it is awarded; meet the criteria "
            "again within the last **60 days** before it expires, or at any time after, to renew "
            "it.\n"
        )
    )
