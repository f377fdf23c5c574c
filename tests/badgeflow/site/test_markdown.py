from __future__ import annotations

import pytest

from badgeflow.site._markdown import render_markdown


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("One line.", "<p>One line.</p>"),
        ("First\nstill first.\n\nSecond.", "<p>First still first.</p>\n<p>Second.</p>"),
        ("- a\n* **b**", "<ul><li>a</li><li><strong>b</strong></li></ul>"),
        ("1. one\n2) two", "<ol><li>one</li><li>two</li></ol>"),
        ("Intro:\n- not a list when mixed", "<p>Intro: - not a list when mixed</p>"),
        (
            "<script>x</script> & **<i>**",
            "<p>&lt;script&gt;x&lt;/script&gt; &amp; <strong>&lt;i&gt;</strong></p>",
        ),
        ("a ** b ** c", "<p>a ** b ** c</p>"),
        ("\r\n\r\n  ", ""),
    ],
)
def test_render_markdown(text, html):
    assert str(render_markdown(text)) == html
