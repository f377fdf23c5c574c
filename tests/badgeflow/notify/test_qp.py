"""The faster text encoding gives what the email package's ``set_content(str)`` gives."""

from __future__ import annotations

from email.contentmanager import _encode_text  # type: ignore[attr-defined]

from hypothesis import example, given, settings
from hypothesis import strategies as st

from badgeflow.notify._qp import encode_text
from badgeflow.notify.compose import POLICY

PIECES = st.sampled_from(
    list("aZ09 =.\t\r\n\x0b\x0c\x85\x00\x7f") + ["é", "李", "😀", "\u2028", " \n", "\t\n", "=\n"]
)
texts = st.one_of(
    st.text(),
    st.lists(st.one_of(PIECES, st.text(max_size=5), st.just("x" * 75)), max_size=80).map("".join),
)


@settings(max_examples=500, deadline=None)
@given(texts)
@example("")
@example("x" * 76 + " \n" + "y" * 77 + "\t")
@example(("a" * 74 + "é" + "b" * 10 + "\n") * 12)
@example(("=" * 100 + "\n") * 11)
def test_encode_text_is_the_email_packages(text):
    assert encode_text(text) == _encode_text(text, "utf-8", None, POLICY)


@given(st.binary(max_size=2000))
@example(b"")
@example(b"x" * 57)
def test_base64_lines_are_the_email_packages(data):
    from email.contentmanager import _encode_base64  # type: ignore[attr-defined]

    from badgeflow.notify._qp import base64_lines

    assert base64_lines(data).decode() == _encode_base64(data, 78)
