"""validation.html: self-contained, escaped, masked, and showing the right counts."""

from __future__ import annotations

from html.parser import HTMLParser

from badgeflow.reports.validation import mask_emails, render_validation_html
from badgeflow.store.reports import QuarantineRecord

HOSTILE = '<script>alert("x")</script>'


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.scripts += tag == "script"

    def handle_data(self, data):
        self.text.append(data)


def section(**overrides):
    base = {
        "source": "export",
        "suite": "lms_completions.v1",
        "full_read": True,
        "rows_in": 400,
        "accepted": 352,
        "quarantined": 48,
        "expectations": [
            {
                "expectation": "expect_column_values_to_be_between",
                "columns": ["score"],
                "success": False,
                "unexpected_count": 48,
            },
            {
                "expectation": "expect_column_to_exist",
                "columns": ["learner_email"],
                "success": True,
                "unexpected_count": 0,
            },
        ],
        "reasons": {"score … is outside 0-100": 48},
        "rules": [
            {
                "rule": "max_bad_row_fraction",
                "passed": False,
                "applied": True,
                "figure": 0.12,
                "limit": 0.05,
                "detail": "48 of 400 rows failed the contract (12.0%)",
                "message": "source export: 12.0% of 400 rows failed the contract (limit 5%).",
            },
            {
                "rule": "max_row_drop_fraction",
                "passed": True,
                "applied": False,
                "figure": None,
                "limit": 0.5,
                "detail": "no earlier read to compare",
                "message": "",
            },
        ],
        "breach_accepted": False,
        "breached": True,
        "halted": True,
        "message": "source export: 12.0% of 400 rows failed the contract (limit 5%).",
    }
    return {**base, **overrides}


def record(i: int, **raw) -> QuarantineRecord:
    return QuarantineRecord(
        batch_id="b-1",
        source="export",
        row_number=i,
        record_key=f"export:R-{i}",
        reason=f"score 140 is outside 0-100 for amelia.hart{i}@example.com",
        raw={"learner_email": f"amelia.hart{i}@example.com", "score": "140", **raw},
    )


def render(sections, records, max_rows=200):
    page = _Page()
    html = render_validation_html(
        batch_id="b-1",
        as_of="2026-11-29T12:00:00+00:00",
        sections=sections,
        records=records,
        max_rows=max_rows,
    )
    page.feed(html)
    return html, page


def test_the_page_has_no_remote_asset_and_no_script():
    html, page = render({"export": section()}, [record(1)])
    assert page.scripts == 0
    for tag, attrs in page.tags:
        for name in ("href", "src"):
            value = attrs.get(name) or ""
            assert not value.startswith(("http://", "https://", "//")), (tag, attrs)
    assert not any(tag in {"link", "img", "iframe"} for tag, _ in page.tags)
    assert "@import" not in html and "url(" not in html


def test_hostile_values_are_escaped():
    hostile = QuarantineRecord(
        batch_id="b-1",
        source="export",
        row_number=3,
        record_key=f"export:{HOSTILE}",
        reason=f"learner_name {HOSTILE} is odd",
        raw={"learner_name": HOSTILE},
    )
    sections = {"export": section(suite=HOSTILE, reasons={HOSTILE: 1})}
    html, page = render(sections, [hostile])
    assert HOSTILE not in html
    assert page.scripts == 0
    assert "&lt;script&gt;" in html
    assert HOSTILE in "".join(page.text)  # shown as text, exactly


def test_counts_rules_expectations_and_the_halt_are_shown():
    _, page = render({"export": section()}, [record(1), record(2)])
    text = " ".join(" ".join(page.text).split())
    assert "Batch halted." in text
    assert "source export: 12.0% of 400 rows failed the contract (limit 5%)." in text
    assert "400 352 48 0" in text  # rows in, passed, quarantined, stored (halted: none)
    assert "max_bad_row_fraction TRIPPED 12.0% 5%" in text
    assert "max_row_drop_fraction not applied – 50%" in text
    assert "expect_column_values_to_be_between score failed 48" in text
    assert "score … is outside 0-100 48" in text


def test_emails_are_masked_everywhere_on_the_page():
    html, _ = render({"export": section()}, [record(1)])
    assert "amelia.hart1@example.com" not in html
    assert "a***@example.com" in html


def test_only_the_first_rows_are_listed():
    _, page = render({"export": section()}, [record(i) for i in range(1, 6)], max_rows=2)
    text = " ".join(" ".join(page.text).split())
    assert "Quarantined rows (first 2 of 5)" in text
    assert "export:R-2" in text and "export:R-3" not in text


def test_a_passing_batch_says_so():
    ok = section(halted=False, breached=False, message="", quarantined=0, accepted=400, rules=[])
    _, page = render({"export": ok}, [])
    assert "Every source is within the batch-level contract limits." in " ".join(page.text)


def test_mask_emails_keeps_the_first_character_and_the_domain():
    assert mask_emails("x a.b@example.com; c@d.org") == "x a***@example.com; c***@d.org"
    assert mask_emails("not-an-email") == "not-an-email"


def test_each_row_shows_its_first_failed_check_and_value():
    detailed = QuarantineRecord(
        batch_id="b-1",
        source="export",
        row_number=4,
        record_key="export:R-4",
        reason="learner_email 'bob@example' is not a valid email",
        raw={"learner_email": "bob@example"},
        expectation="expect_column_values_to_match_regex",
        column_name="learner_email",
        value="bob@example",
    )
    _, page = render({"export": section()}, [detailed, record(5)])
    text = " ".join(" ".join(page.text).split())
    # the offending value is shown, but an email-like one masked, as everywhere on the page
    assert "expect_column_values_to_match_regex on learner_email: b***@example" in text
