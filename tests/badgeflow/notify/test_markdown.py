from __future__ import annotations

from badgeflow.notify._markdown import to_html, to_text

NARRATIVE = """Awarded to learners who meet **all** of the following:

1. hold the **Data Foundations** badge
   (tier 1 of the *Data Skills* pathway);
2. meet **at least 1 of** the following:
   - complete **SQL110**
   - complete **PRV120**
"""


def test_lists_with_continuation_and_nesting():
    html = to_html(NARRATIVE, link_colour="#123456")
    assert html.startswith('<p style="margin:0 0 12px 0;font-size:16px;line-height:24px;">')
    assert "<strong>all</strong>" in html
    assert (
        '<li style="margin:0 0 4px 0;">hold the <strong>Data Foundations</strong> badge '
        "(tier 1 of the <em>Data Skills</em> pathway);</li>"
    ) in html
    assert (
        '<ul style="margin:4px 0;padding:0 0 0 20px;"><li>complete <strong>SQL110</strong></li>'
        in html
    )
    assert html.count("<ol ") == 1 and html.count("<ul ") == 1
    assert to_text(NARRATIVE) == (
        "Awarded to learners who meet all of the following:\n\n"
        "1. hold the Data Foundations badge (tier 1 of the Data Skills pathway);\n"
        "2. meet at least 1 of the following:\n"
        "   - complete SQL110\n"
        "   - complete PRV120"
    )


def test_links_only_http_and_everything_escaped():
    source = '[ok](https://a.example/x?y=1&z=2) [bad](javascript:alert(1)) <i onclick="x">'
    html = str(to_html(source, link_colour="#000000"))
    assert '<a href="https://a.example/x?y=1&amp;z=2" style="color:#000000;">ok</a>' in html
    assert "[bad](javascript:alert(1))" in html
    assert "&lt;i onclick=&#34;x&#34;&gt;" in html
    assert "<i " not in html
    assert to_text(source).startswith("ok (https://a.example/x?y=1&z=2) [bad]")


def test_plain_text_passes_through():
    assert to_text("Just text.\nSame paragraph.") == "Just text. Same paragraph."
    assert str(to_html("a * b * c", link_colour="#000000")).endswith(">a * b * c</p>")
