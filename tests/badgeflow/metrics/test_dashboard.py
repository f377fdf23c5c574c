"""The static dashboard from known rows: figures, chart tables, funnel order, files, privacy,
escaping, the empty state and determinism."""

from __future__ import annotations

import math
import re
import shutil

import pytest

from badgeflow import store
from badgeflow.metrics.dashboard import (
    BUCKETS,
    dashboard_dir,
    time_to_accept_buckets,
    write_dashboard,
)
from badgeflow.settings import Settings
from tests.badgeflow.metrics.html_text import PageText
from tests.badgeflow.metrics.rows import (
    GENERATED,
    HOSTILE_ACHIEVEMENT,
    HOSTILE_COURSE,
    fill,
    migrated,
)
from tests.db_schema import drop_schema

FILES = [
    "acceptance_over_time.csv",
    "metrics_by_achievement.csv",
    "metrics_by_course.csv",
    "metrics_overall.csv",
    "metrics_pathway_funnel.csv",
    "time_to_accept.csv",
]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("dash") / "empty.db"
    migrated(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture(scope="module")
def engine(template, tmp_path_factory):
    path = tmp_path_factory.mktemp("dash") / "filled.db"
    shutil.copyfile(template, path)
    engine = store.make_engine(f"sqlite:///{path}")
    fill(engine)
    yield engine
    engine.dispose()


def write(engine, folder):
    with engine.connect() as connection:
        return write_dashboard(
            connection, folder, clock=lambda: GENERATED, title="Data Academy badges"
        )


@pytest.fixture(scope="module")
def written(engine, tmp_path_factory):
    folder = tmp_path_factory.mktemp("out") / "dashboard"
    report = write(engine, folder)
    return folder, report, (folder / "index.html").read_text()


@pytest.fixture(scope="module")
def page(written):
    return PageText(written[2])


@pytest.mark.parametrize(
    ("hours", "bucket"),
    [
        (0.0, "< 1 h"),
        (0.999, "< 1 h"),
        (-0.2, "< 1 h"),
        (1.0, "1–6 h"),
        (5.99, "1–6 h"),
        (6.0, "6–24 h"),
        (23.99, "6–24 h"),
        (24.0, "1–3 d"),
        (71.99, "1–3 d"),
        (72.0, "3–7 d"),
        (167.99, "3–7 d"),
        (168.0, "1–2 w"),
        (335.99, "1–2 w"),
        (336.0, "> 2 w"),
        (9999.0, "> 2 w"),
    ],
)
def test_histogram_bucket_edges(hours, bucket):
    counts = time_to_accept_buckets([hours, math.nan])
    assert [label for (label, _), n in zip(BUCKETS, counts, strict=True) if n] == [bucket]
    assert sum(counts) == 1


def test_the_report_says_what_was_written(written):
    folder, report, _ = written
    assert report.path == folder / "index.html"
    assert report.issued == 6
    assert report.data_as_of.isoformat() == "2026-11-30T06:00:00+00:00"
    assert report.charts == (
        "Acceptance over time",
        "Time to acceptance",
        "Shares and verifications by course",
        "Pathway funnel: Data Analyst",
    )
    assert report.rows == {
        "metrics_overall": 1,
        "metrics_by_course": 2,
        "metrics_by_achievement": 2,
        "metrics_pathway_funnel": 3,
        "acceptance_over_time": 4,
        "time_to_accept": 7,
    }
    assert sorted(p.name for p in (folder / "data").iterdir()) == FILES  # no temporary left
    assert sorted(p.name for p in folder.iterdir()) == ["data", "index.html"]


def test_headline_figures(page, written):
    assert page.headline == {
        "Badges issued": "6",
        "Accepted": "5",
        "Acceptance rate": "83%",
        "Median time to accept": "23.9 h",
        "LinkedIn share rate": "33%",
        "Verification views": "1,234",
        "Bounced emails": "1",
        "Bot hits (counted apart)": "7",
    }
    assert "Data as of 2026-11-30 06:00 UTC" in written[2]
    assert "page generated 2026-11-30 07:15 UTC" in written[2]
    assert "<title>Data Academy badges</title>" in written[2]


def test_acceptance_over_time_counts_issue_weeks_and_acceptance_weeks_with_gaps(page):
    assert page.table_after("Week starting") == [
        ("Week starting", "Issued", "Accepted"),
        ("2026-11-02", "3", "3"),
        ("2026-11-09", "2", "0"),
        ("2026-11-16", "0", "0"),  # a week with nothing still has its bar
        ("2026-11-23", "1", "2"),
    ]
    assert {"2026-11-02", "2026-11-16", "Week starting", "Credentials"} <= set(page.svg_text)


def test_time_to_acceptance_histogram(page, written):
    table = page.table_after("Time from issue to acceptance")
    assert table[1:] == [
        ("< 1 h", "1"),
        ("1–6 h", "1"),
        ("6–24 h", "1"),
        ("1–3 d", "0"),
        ("3–7 d", "0"),
        ("1–2 w", "1"),
        ("> 2 w", "1"),
    ]
    labels = [t for t in page.svg_text if t in {label for label, _ in BUCKETS}]
    assert labels == [label for label, _ in BUCKETS]
    assert (written[0] / "data" / "time_to_accept.csv").read_text() == (
        "bucket,accepted\n< 1 h,1\n1–6 h,1\n6–24 h,1\n1–3 d,0\n3–7 d,0\n1–2 w,1\n> 2 w,1\n"
    )


def test_shares_and_verifications_by_course_most_issued_first(page):
    assert page.table_after("Course") == [
        ("Course", "Shares", "Verification views"),
        ("SQL110", "3", "9"),
        (HOSTILE_COURSE, "1", "3"),
    ]


def test_the_funnel_runs_from_the_first_tier_down(page):
    assert page.table_after("Tier") == [
        ("Tier", "Learners", "Share of Foundations"),
        ("Foundations", "40", "100%"),
        ("Applied", "22", "55%"),
        ("Certified", "8", "20%"),
    ]
    stages = [t for t in page.svg_text if t.endswith("%)")]
    assert stages == ["Foundations: 40 (100%)", "Applied: 22 (55%)", "Certified: 8 (20%)"]


def test_acceptance_by_achievement(page):
    assert page.table_after("Achievement")[1:] == [
        (HOSTILE_ACHIEVEMENT, "2", "1", "50%", "14.0 days", "14.0 days", "50%", "3", "1"),
        ("sql-basics", "4", "4", "100%", "12.4 h", "14.0 days", "25%", "9", "0"),
    ]


def test_hostile_names_are_escaped_everywhere(written, page):
    html = written[2]
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#39;c&#39;)&lt;/script&gt;&#34;x" in html
    assert HOSTILE_COURSE[:27] + "…" in page.svg_text  # shortened, escaped, in the chart


def test_the_output_is_offline_and_holds_no_private_data(written):
    folder = written[0]
    for path in [folder / "index.html", *(folder / "data").iterdir()]:
        text = path.read_text()
        assert not re.search(r"https?:|//[a-z]|<script\b[^>]*src|<link\b|@import|url\(", text), path
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.-]+", text), path  # no email-like text
        assert "00000000-0000-4000-8000-" not in text, path  # no credential id
        assert "learner_id" not in text and "1003" not in text, path  # no learner number


def test_the_same_data_gives_the_same_bytes(engine, written, tmp_path):
    write(engine, tmp_path)
    for name in ["index.html", *(f"data/{f}" for f in FILES)]:
        assert (tmp_path / name).read_bytes() == (written[0] / name).read_bytes(), name


def test_nothing_issued_yet(template, tmp_path):
    engine = store.make_engine(f"sqlite:///{template}")
    try:
        report = write(engine, tmp_path / "empty")
    finally:
        engine.dispose()
    html = report.path.read_text()

    assert report.issued == 0 and report.charts == () and report.data_as_of is None
    assert "No badges issued yet" in html and "Metrics not computed yet" in html
    assert "<svg" not in html and "Headline figures" not in html
    assert (
        (tmp_path / "empty" / "data" / "metrics_overall.csv")
        .read_text()
        .startswith("issued,accepted,")
    )
    assert (tmp_path / "empty" / "data" / "acceptance_over_time.csv").read_text() == (
        "week_start,issued,accepted\n"
    )


def test_dashboard_dir_defaults_under_var_dir(tmp_path):
    assert dashboard_dir(Settings(var_dir=tmp_path)) == tmp_path / "dashboard"
    chosen = Settings(var_dir=tmp_path, engagement={"dashboard_dir": str(tmp_path / "d")})
    assert dashboard_dir(chosen) == tmp_path / "d"


def test_every_database_gives_the_same_files(db_url, written, tmp_path):
    engine = store.make_engine(db_url)
    if engine.dialect.name != "sqlite":
        drop_schema(engine)
    store.migrate(engine)
    fill(engine)
    try:
        write(engine, tmp_path / "out")
    finally:
        engine.dispose()
    for name in ["index.html", *(f"data/{f}" for f in FILES)]:
        assert (tmp_path / "out" / name).read_text() == (written[0] / name).read_text(), name
