from __future__ import annotations

from pathlib import Path

import pytest

from badgeflow.errors import SourceError
from badgeflow.lms.exports import decode, detect_profile, read_table, sniff_delimiter

PATH = Path("report.csv")


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        (b"\xef\xbb\xbfName\nAm\xc3\xa9lie\n", "Name\nAmélie\n", "utf-8-sig"),
        (b"Name\nAm\xc3\xa9lie\n", "Name\nAmélie\n", "utf-8"),
        (b"Name\nAm\xe9lie M\xfcller \x96 Ops\n", "Name\nAmélie Müller – Ops\n", "cp1252"),
        ("Name\nAmélie\n".encode("utf-16"), "Name\nAmélie\n", "utf-16"),
    ],
)
def test_decode_reports_the_encoding(data, text, encoding):
    assert decode(data, PATH) == (text, encoding)


def test_bytes_in_neither_encoding_are_refused_with_their_offset():
    data = b"Name\nAmelie\x81\n"  # 0x81: invalid UTF-8, undefined in Windows-1252

    with pytest.raises(SourceError, match=r"0x81 at byte offset 11.*re-save it as UTF-8"):
        decode(data, PATH)


def test_a_bom_with_invalid_utf8_after_it_is_refused():
    with pytest.raises(SourceError, match=r"utf-8-sig \(byte-order mark\).*0xE9 at byte offset 8"):
        decode(b"\xef\xbb\xbfName\n\xe9\n", PATH)


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1;2,5;3\n", ";"),
        ('name;score;course\n"Dubois, Amélie";82,5;SQL\n"Chen, Wei";7,5;SQL\n', ";"),
        ("a\tb\tc\nx, y\t2\t3\n", "\t"),
        ("email\na@example.com\n", ","),
        ("only;header\n", ";"),
    ],
)
def test_sniff_delimiter(text, delimiter):
    assert sniff_delimiter(text) == delimiter


def test_read_table_numbers_lines_and_keeps_quoted_newlines():
    data = b'a,b\r\n\r\n1,"two\r\nlines"\r\n3,4\r\n'

    table = read_table(data, PATH)

    assert table.header == ("a", "b")
    assert table.rows == ((3, ("1", "two\nlines")), (5, ("3", "4")))


def test_unterminated_quote_is_an_error_not_a_swallowed_file():
    with pytest.raises(SourceError, match="not valid CSV"):
        read_table(b'a,b\n1,"oops\n2,3\n', PATH)


def test_empty_file_is_an_error():
    with pytest.raises(SourceError, match="empty"):
        read_table(b"\n \n", PATH)


@pytest.mark.parametrize(
    ("header", "vendor"),
    [
        (["ID", "Name", "Email address", "Course complete"], "moodle"),
        (["Student", "ID", "SIS Login ID", "Final Score"], "canvas"),
        (["User", "Email", "Course", "Completion status", "Completion date"], "talentlms"),
        (["Username", "Email", "Course Name", "Enrollment Status"], "docebo"),
        (["User ID", "Training Title", "Transcript Status"], "cornerstone"),
        (["Username", "Course Title", "Completed", "Completed Date"], "litmos"),
        (["User email", "Course name", "Completion date", "Score (%)"], "360learning"),
        (["Last Name", "First Name", "Username", "Total [Total Pts: 60 Score] |1"], "blackboard"),
        (["LEARNER_ID", "learner_email", "learner_name", "course_id", "course_name",
          "completed", "completed_at", "score", "modules_completed", "modules_total"],
         "badgeflow"),
    ],
)  # fmt: skip
def test_auto_detects_the_vendor_from_the_header(header, vendor):
    assert detect_profile(header, "auto", PATH).format == vendor


def test_explicit_format_lists_every_missing_column():
    with pytest.raises(SourceError) as caught:
        detect_profile(["Username", "Email"], "cornerstone", PATH)

    message = str(caught.value)
    assert "is not a Cornerstone transcript report" in message
    assert "User ID; Training Title; Transcript Status" in message
    assert "its header is 'Username, Email'" in message


def test_unknown_header_lists_what_each_format_lacks():
    with pytest.raises(SourceError, match="matches no known export format") as caught:
        detect_profile(["who", "what"], "auto", PATH)

    assert "moodle lacks required column(s) ID, Name, Course complete" in str(caught.value)


def test_equally_good_matches_ask_for_the_format():
    # Docebo and Litmos both fit a bare Username / Course Title+Name / status header.
    header = ["Username", "Course Name", "Course Title", "Enrollment Status", "Completed"]

    with pytest.raises(SourceError, match="could be any of docebo, litmos; set the source's"):
        detect_profile(header, "auto", PATH)
