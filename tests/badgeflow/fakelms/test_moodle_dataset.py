from __future__ import annotations

import json

import pytest

from badgeflow.fakelms.moodle_dataset import MoodleDataset

COURSE = {
    "id": 2,
    "shortname": "C",
    "fullname": "Course",
    "activities": [{"cmid": 9}],
    "grade_items": [{"id": 20, "itemtype": "course"}],
}
USER = {"id": 7, "username": "u", "firstname": "U", "lastname": "Ser", "email": "u@example.com"}


def test_enrolment_is_complete_only_when_every_criterion_is_met():
    data = MoodleDataset.model_validate(
        {
            "courses": [COURSE],
            "users": [USER],
            "enrolments": [
                {
                    "userid": 7,
                    "courseid": 2,
                    "completion": [{"timecompleted": 1}, {"timecompleted": None}],
                },
            ],
        }
    )

    assert data.enrolments[0].completed is False
    assert data.user(7).fullname == "U Ser"
    assert data.course(2).fullname == "Course"
    assert data.course(3) is None


@pytest.mark.parametrize(
    ("enrolment", "problem"),
    [
        ({"userid": 8, "courseid": 2}, "unknown user or course"),
        ({"userid": 7, "courseid": 3}, "unknown user or course"),
        ({"userid": 7, "courseid": 2, "activities": [{"cmid": 99}]}, "unknown cmid 99"),
        ({"userid": 7, "courseid": 2, "grades": {"21": 5}}, "unknown grade item 21"),
    ],
)
def test_references_must_resolve(enrolment, problem):
    with pytest.raises(ValueError, match=problem):
        MoodleDataset.model_validate(
            {"courses": [COURSE], "users": [USER], "enrolments": [enrolment]}
        )


def test_the_site_course_id_is_reserved():
    with pytest.raises(ValueError, match="greater than 1"):
        MoodleDataset.model_validate({"courses": [{**COURSE, "id": 1}]})


def test_load_reports_the_file_on_bad_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")

    with pytest.raises(ValueError, match="broken.json"):
        MoodleDataset.load(path)


def test_load_round_trips(tmp_path):
    path = tmp_path / "data.json"
    path.write_text(json.dumps({"courses": [COURSE], "users": [USER]}), encoding="utf-8")

    assert MoodleDataset.load(path).courses[0].activities[0].tracking == 2
