from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from badgeflow.fakelms.moodle import FakeMoodle, MoodleDataset

DATASET = Path(__file__).parents[2] / "fixtures" / "lms" / "moodle" / "simple.json"
REPO = Path(__file__).parents[3]
TOKEN = "fake-token"


@pytest.fixture
def server():
    with FakeMoodle(MoodleDataset.load(DATASET), TOKEN) as server:
        yield server


def call(server: FakeMoodle, wsfunction: str, token: str = TOKEN, **form: str) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/webservice/rest/server.php",
        params={"wsfunction": wsfunction, "moodlewsrestformat": "json"},
        data={"wstoken": token, **form},
        timeout=5,
    )


def test_listens_on_loopback_and_stops(server):
    assert server.base_url.startswith("http://127.0.0.1:")
    base = server.base_url
    server.stop()

    with pytest.raises(httpx.ConnectError):
        httpx.get(base, timeout=2)
    with pytest.raises(RuntimeError, match="not started"):
        server.base_url  # noqa: B018


def test_courses_include_the_site_course_unless_filtered(server):
    courses = call(server, "core_course_get_courses").json()

    assert [(c["id"], c["format"]) for c in courses][:2] == [(1, "site"), (2, "topics")]
    assert courses[1]["idnumber"] == "SQL110"
    filtered = call(server, "core_course_get_courses", **{"options[ids][0]": "3"}).json()
    assert [c["shortname"] for c in filtered] == ["WEB1"]


def test_get_works_as_well_as_post(server):
    response = httpx.get(
        f"{server.base_url}/webservice/rest/server.php",
        params={
            "wstoken": TOKEN,
            "wsfunction": "core_enrol_get_enrolled_users",
            "moodlewsrestformat": "json",
            "courseid": "3",
        },
    )

    assert [u["id"] for u in response.json()] == [11, 14]


def test_enrolled_users_shape_and_paging(server):
    page = call(
        server,
        "core_enrol_get_enrolled_users",
        courseid="2",
        **{
            "options[0][name]": "limitfrom",
            "options[0][value]": "1",
            "options[1][name]": "limitnumber",
            "options[1][value]": "2",
        },
    ).json()

    assert [u["id"] for u in page] == [12, 13]
    assert page[0]["fullname"] == "Alan Turing"
    assert page[0]["email"] == "alan.turing@example.com"
    assert page[0]["roles"][0]["shortname"] == "student"


def test_course_completion_status_shape(server):
    body = call(server, "core_completion_get_course_completion_status", courseid="2", userid="11")

    status = body.json()["completionstatus"]
    assert status["completed"] is True
    assert status["aggregation"] == 1
    assert [c["timecompleted"] for c in status["completions"]] == [1767139200, 1767225600]
    assert status["completions"][0]["complete"] is True


def test_activities_status_shape(server):
    body = call(
        server, "core_completion_get_activities_completion_status", courseid="2", userid="12"
    )

    statuses = body.json()["statuses"]
    assert [(s["cmid"], s["state"], s["tracking"]) for s in statuses] == [
        (201, 1, 2),
        (202, 0, 2),
        (203, 0, 2),
        (204, 0, 0),
    ]
    assert statuses[1]["timecompleted"] == 0


def test_grade_items_shape_and_course_total(server):
    body = call(server, "gradereport_user_get_grade_items", courseid="3", userid="11").json()

    (usergrade,) = body["usergrades"]
    items = {i["itemtype"]: i for i in usergrade["gradeitems"]}
    assert items["mod"]["graderaw"] == 15
    assert items["mod"]["percentageformatted"] == "75.00 %"
    assert items["course"]["graderaw"] == 75.0  # computed from the graded items
    everyone = call(server, "gradereport_user_get_grade_items", courseid="2").json()
    assert [g["userid"] for g in everyone["usergrades"]] == [11, 12, 13, 15]


@pytest.mark.parametrize(
    ("wsfunction", "form", "errorcode"),
    [
        (
            "core_completion_get_course_completion_status",
            {"courseid": "4", "userid": "12"},
            "nocriteriaset",
        ),
        (
            "core_completion_get_course_completion_status",
            {"courseid": "2", "userid": "14"},
            "usernotenroled",
        ),
        (
            "core_completion_get_activities_completion_status",
            {"courseid": "3", "userid": "14"},
            "usernotenroled",
        ),
        (
            "core_completion_get_course_completion_status",
            {"courseid": "99", "userid": "11"},
            "invalidrecord",
        ),
        ("core_completion_get_course_completion_status", {"courseid": "x"}, "invalidparameter"),
        ("core_nonexistent_function", {}, "invalidrecord"),
    ],
)
def test_errors_are_http_200_json(server, wsfunction, form, errorcode):
    response = call(server, wsfunction, **form)

    assert response.status_code == 200
    body = response.json()
    assert body["errorcode"] == errorcode
    assert set(body) == {"exception", "errorcode", "message"}


def test_bad_token_is_invalidtoken(server):
    body = call(server, "core_course_get_courses", token="nope").json()

    assert body["errorcode"] == "invalidtoken"


def test_login_token_endpoint(server):
    ok = httpx.get(
        f"{server.base_url}/login/token.php",
        params={"username": "ada", "password": "moodle", "service": "x"},
    ).json()
    bad = httpx.post(
        f"{server.base_url}/login/token.php", data={"username": "ada", "password": "wrong"}
    ).json()

    assert ok["token"] == TOKEN
    assert "token" not in bad
    assert bad["errorcode"] == "invalidlogin"


def test_fail_next_then_recover(server):
    server.fail_next(2, status=503)

    statuses = [call(server, "core_course_get_courses").status_code for _ in range(3)]

    assert statuses == [503, 503, 200]


def test_unknown_path_is_404(server):
    assert httpx.get(f"{server.base_url}/admin/").status_code == 404


def test_calls_are_recorded_without_the_token(server):
    call(server, "core_enrol_get_enrolled_users", courseid="2")

    (recorded,) = server.calls
    assert recorded.wsfunction == "core_enrol_get_enrolled_users"
    assert recorded.args == {"courseid": "2"}
    assert TOKEN not in repr(recorded)


def test_cli_serves_until_interrupted():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "badgeflow.fakelms.moodle",
            "--dataset",
            str(DATASET),
            "--port",
            "0",
            "--token",
            "cli-token",
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        base_url = first.split(" at ")[1].split(" ")[0]
        courses = httpx.get(
            f"{base_url}/webservice/rest/server.php",
            params={
                "wstoken": "cli-token",
                "wsfunction": "core_course_get_courses",
                "moodlewsrestformat": "json",
            },
        ).json()
        assert [c["idnumber"] for c in courses] == ["", "SQL110", "", "ONB100"]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            out, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise

    assert process.returncode == 0
    assert "stopped" in out
