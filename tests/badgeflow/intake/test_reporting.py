"""The reporting API through the intake's ASGI app: auth, JSON and CSV, filters, paging, errors,
and the webhook routes beside it unchanged."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import socket
import threading

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from badgeflow import store
from badgeflow.fakelms.webhooks import completion_event, signed
from badgeflow.intake import IntakeApp, ReportingApi, intake_source, reporting_api
from badgeflow.metrics.views import VIEWS, view
from badgeflow.settings import Settings
from tests.badgeflow.intake.conftest import NOW, SECRET, SOURCES, stored
from tests.badgeflow.metrics.rows import HOSTILE_ACHIEVEMENT, HOSTILE_COURSE, fill
from tests.db_schema import drop_schema

TOKEN = "current-reporting-token"
OLD = "previous-reporting-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def engine(migrated_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("reporting") / "metrics.db"
    shutil.copyfile(migrated_db, path)
    engine = store.make_engine(f"sqlite:///{path}")
    fill(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def api(engine):
    return ReportingApi(engine, [TOKEN, OLD], max_rows=50)


@pytest.fixture
def intake(api, sessions):
    return IntakeApp(
        {s.name: intake_source(s) for s in SOURCES}, sessions, clock=lambda: NOW, api=api
    )


def request(app, method: str, path: str, **kw) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            return await client.request(method, path, **kw)

    return asyncio.run(go())


def get(app, path: str, headers=AUTH, **kw) -> httpx.Response:
    return request(app, "GET", path, headers=headers, **kw)


@pytest.mark.parametrize(
    ("headers", "challenge"),
    [
        ({}, 'Bearer realm="badgeflow reporting"'),
        (
            {"Authorization": "Bearer wrong"},
            'Bearer realm="badgeflow reporting", error="invalid_token"',
        ),
        (
            {"Authorization": f"Basic {TOKEN}"},
            'Bearer realm="badgeflow reporting", error="invalid_token"',
        ),
        (
            {"Authorization": f"Bearer {TOKEN}x"},
            'Bearer realm="badgeflow reporting", error="invalid_token"',
        ),
    ],
)
def test_without_a_valid_token_the_answer_is_401_with_a_bearer_challenge(
    intake, headers, challenge
):
    response = get(intake, "/api/v1/views/metrics_overall", headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == challenge
    assert response.headers["cache-control"] == "no-store"
    assert TOKEN not in response.text and "issued" not in response.text


@pytest.mark.parametrize("token", [TOKEN, OLD])
def test_the_current_and_the_previous_token_are_accepted(intake, token):
    response = get(intake, "/api/v1/views", headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


def test_without_a_token_setting_the_api_is_off_and_answers_404(sessions, engine):
    app = IntakeApp({}, sessions, clock=lambda: NOW)
    for path in ("/api/v1/views", "/api/v1/views/metrics_overall", "/api"):
        response = get(app, path)
        assert response.status_code == 404, path
    assert reporting_api(Settings(), engine) is None
    assert reporting_api(Settings(reporting={"token": ""}), engine) is None
    on = reporting_api(Settings(reporting={"token": "zq-secret", "max_rows": 7}), engine)
    assert isinstance(on, ReportingApi) and on.max_rows == 7 and "zq-secret" not in repr(on)


def test_the_view_list_names_every_view_with_grain_and_documented_columns(intake):
    body = get(intake, "/api/v1/views").json()

    assert [v["name"] for v in body["views"]] == [v.name for v in VIEWS]
    course = next(v for v in body["views"] if v["name"] == "metrics_by_course")
    assert course["grain"] == "one row per course"
    assert course["url"] == "/api/v1/views/metrics_by_course"
    assert [c["name"] for c in course["columns"]] == list(view("metrics_by_course").columns)
    assert course["columns"][1] == {
        "name": "issued",
        "description": view("metrics_overall").columns["issued"],
    }


def test_a_view_as_json_has_columns_rows_as_objects_and_paging_fields(intake):
    response = get(intake, "/api/v1/views/metrics_pathway_funnel")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["view"] == "metrics_pathway_funnel"
    assert body["columns"] == list(view("metrics_pathway_funnel").columns)
    assert [(r["tier"], r["tier_name"], r["learners"]) for r in body["rows"]] == [
        (1, "Foundations", 40),
        (2, "Applied", 22),
        (3, "Certified", 8),
    ]
    assert body["rows"][0]["computed_at"] == "2026-11-30T05:59:00+00:00"
    assert body["rows"][1]["share_of_first_tier"] == 0.55
    assert (body["total"], body["limit"], body["offset"], body["next"]) == (3, 50, 0, None)


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/api/v1/views/metrics_by_course?format=csv", AUTH),
        ("/api/v1/views/metrics_by_course", AUTH | {"Accept": "text/csv, */*;q=0.1"}),
    ],
)
def test_a_view_as_csv_has_the_columns_as_header(intake, path, headers):
    response = get(intake, path, headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["x-total-count"] == "2"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == list(view("metrics_by_course").columns)
    assert [(r[0], r[1], r[9], r[10]) for r in rows[1:]] == [
        (HOSTILE_COURSE, "2", "1", "3"),
        ("SQL110", "4", "3", "9"),
    ]
    assert rows[1][3] == ""  # NULL acceptance rate: an empty cell


def test_filters_select_rows_by_column_value(intake):
    one = get(
        intake, "/api/v1/views/metrics_by_course", params={"course_id": HOSTILE_COURSE}
    ).json()
    tier = get(intake, "/api/v1/views/metrics_pathway_funnel?tier=2").json()
    none = get(intake, "/api/v1/views/metrics_by_course?course_id=NOPE").json()

    assert [r["course_id"] for r in one["rows"]] == [HOSTILE_COURSE] and one["total"] == 1
    assert [r["tier_name"] for r in tier["rows"]] == ["Applied"]
    assert none["rows"] == [] and none["total"] == 0 and none["next"] is None


def test_pages_follow_next_until_every_row_was_read(intake):
    seen, path, pages = [], "/api/v1/views/metrics_credentials?limit=4&achievement_id=sql-basics", 0
    while path:
        body = get(intake, path).json()
        seen += [r["credential_id"] for r in body["rows"]]
        path, pages = body["next"], pages + 1
        assert body["total"] == 4 and body["limit"] == 4
    assert pages == 1 and len(seen) == 4

    seen, path, offsets = [], "/api/v1/views/metrics_credentials?limit=4", []
    while path:
        body = get(intake, path).json()
        seen += [r["credential_id"] for r in body["rows"]]
        offsets.append(body["offset"])
        path = body["next"]
    assert offsets == [0, 4] and len(set(seen)) == 6


def test_csv_pages_link_to_the_next_one(intake):
    response = get(intake, "/api/v1/views/metrics_credentials?format=csv&limit=5")
    assert response.headers["x-total-count"] == "6"
    assert response.headers["link"] == (
        '</api/v1/views/metrics_credentials?format=csv&limit=5&offset=5>; rel="next"'
    )
    assert len(response.text.splitlines()) == 6


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("/api/v1/views/nope", 404, "no view 'nope'"),
        ("/api/v1/nothing", 404, "not found"),
        ("/api/v1/views/metrics_overall/extra", 404, "not found"),
        ("/api/v1/views/metrics_overall?colour=red", 400, "has no column(s) colour"),
        ("/api/v1/views/metrics_overall?limit=0", 400, "limit must be a whole number, 1 to 50"),
        ("/api/v1/views/metrics_overall?limit=51", 400, "limit must be"),
        ("/api/v1/views/metrics_overall?limit=ten", 400, "limit must be"),
        ("/api/v1/views/metrics_overall?limit=-1", 400, "limit must be"),
        (
            "/api/v1/views/metrics_overall?offset=-3",
            400,
            "offset must be a whole number, at least 0",
        ),
        ("/api/v1/views/metrics_overall?format=xml", 400, "format must be json or csv"),
        ("/api/v1/views/metrics_overall?issued=1&issued=2", 400, "given once"),
    ],
)
def test_bad_requests_are_answered_with_the_reason(intake, path, status, error):
    response = get(intake, path)
    assert response.status_code == status
    assert error in response.json()["error"]
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "HEAD"])
def test_only_get_is_allowed(intake, method):
    response = request(intake, method, "/api/v1/views/metrics_overall", headers=AUTH)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"


def test_an_unreadable_database_is_503_not_a_crash(tmp_path):
    bare = store.make_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # no schema: no views
    response = get(ReportingApi(bare, [TOKEN], max_rows=10), "/api/v1/views/metrics_overall")
    bare.dispose()
    assert response.status_code == 503 and response.headers["retry-after"] == "30"


def test_hooks_and_healthz_still_work_beside_the_api(intake, sessions):
    payload = completion_event(
        "generic",
        event_id="r-9",
        user_id="9",
        email="ada@example.org",
        course_id="SQL110",
        completed_at=NOW,
        score=90.0,
    )
    delivery = signed("generic", payload, auth="hmac", secret=SECRET, now=NOW)

    hook = request(intake, "POST", "/hooks/bridge", content=delivery.body, headers=delivery.headers)
    health = request(intake, "GET", "/healthz")
    unknown = request(intake, "POST", "/hooks/nope", content=b"{}")

    assert hook.status_code == 200 and hook.json()["stored"] == 1
    assert health.json() == {"status": "ok"}
    assert unknown.status_code == 404 and unknown.json() == {"error": "no such webhook source"}
    assert [e.event_key for e in stored(sessions)] == ["id:r-9"]


def test_a_real_server_answers_csv_to_a_bi_tool(intake):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(intake, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            response = client.get(
                "/api/v1/views/metrics_overall", headers=AUTH | {"Accept": "text/csv"}
            )
            refused = client.get("/api/v1/views/metrics_overall")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    assert response.status_code == 200 and refused.status_code == 401
    assert response.text.splitlines()[1].startswith("6,5,0.8333333333333334,23.9,336.0,")


def test_serve_starts_for_the_reporting_api_alone_and_prints_its_url(
    migrated_db, tmp_path, monkeypatch
):
    import badgeflow.cli.intake as cli
    from badgeflow.cli import app

    shutil.copyfile(migrated_db, tmp_path / "b.db")
    monkeypatch.delenv("BADGEFLOW_CONFIG", raising=False)
    monkeypatch.setenv("BADGEFLOW_DATABASE__URL", f"sqlite:///{tmp_path / 'b.db'}")
    served = []
    # A stand-in for uvicorn.run, which would block the test until Ctrl-C.
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **kw: served.append((app, kw)))
    runner = CliRunner()

    refused = runner.invoke(app, ["intake", "serve"])
    monkeypatch.setenv("BADGEFLOW_REPORTING__TOKEN", TOKEN)
    started = runner.invoke(app, ["intake", "serve", "--port", "8099"])

    assert refused.exit_code == 2 and "nothing to serve" in refused.output
    assert started.exit_code == 0, started.output
    assert "reporting API   GET  http://127.0.0.1:8099/api/v1/views" in started.output
    assert TOKEN not in started.output
    assert len(served) == 1 and isinstance(served[0][0].api, ReportingApi)


def test_typed_filters_work_on_every_database(db_url):
    engine = store.make_engine(db_url)
    if engine.dialect.name != "sqlite":
        drop_schema(engine)
    store.migrate(engine)
    fill(engine)
    app = ReportingApi(engine, [TOKEN], max_rows=10)
    try:
        tier = get(app, "/api/v1/views/metrics_pathway_funnel?tier=2").json()
        bounced = get(app, "/api/v1/views/metrics_credentials?bounced=true").json()
        week = get(app, "/api/v1/views/metrics_overall_weekly?week_start=2026-11-02").json()
        rate = get(app, "/api/v1/views/metrics_by_achievement?acceptance_rate=0.5").json()
        wrong = get(app, "/api/v1/views/metrics_pathway_funnel?tier=second")
    finally:
        engine.dispose()

    assert [r["tier_name"] for r in tier["rows"]] == ["Applied"]
    assert [r["credential_id"][-2:] for r in bounced["rows"]] == ["05"]
    assert bounced["rows"][0]["bounced"] is True and bounced["rows"][0]["hours_to_accept"] is None
    assert [(r["week_start"], r["issued"]) for r in week["rows"]] == [("2026-11-02", 3)]
    assert [r["achievement_id"] for r in rate["rows"]] == [HOSTILE_ACHIEVEMENT]
    assert wrong.status_code == 400 and "bad value for tier" in wrong.json()["error"]
