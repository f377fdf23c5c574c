from __future__ import annotations

import pytest

from badgeflow.fakelms._odata import ODataError, parse_filter, parse_select

FIELDS = {"n", "s", "b", "t", "g"}
ROW = {
    "n": 5,
    "s": "O'Brien",
    "b": False,
    "t": "2026-10-01T08:30:00",
    "g": "E2470B68-32FC-4380-B69D-27513B697D51",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("n eq 5", True),
        ("n ne 5", False),
        ("n gt 4 and n lt 6", True),
        ("n ge 6 or n le 4", False),
        ("not (n eq 5)", False),
        ("s eq 'O''Brien'", True),
        ("b eq false", True),
        ("b eq 0", True),
        ("t ge cast('2026-10-01T08:30:00Z', Edm.DateTimeOffset)", True),
        ("t gt 2026-10-01T08:30:00Z", False),
        ("t lt cast('2026-10-02', Edm.DateTimeOffset)", True),
        ("g eq e2470b68-32fc-4380-b69d-27513b697d51", True),
        ("(n eq 1 or n eq 5) and (s ne null)", True),
    ],
)
def test_filters(text, expected):
    assert parse_filter(text, fields=FIELDS)(ROW) is expected


def test_null_compares_only_with_eq_and_ne():
    keep = parse_filter("t ge 2026-01-01T00:00:00Z", fields=FIELDS)

    assert keep({"t": None}) is False
    assert parse_filter("t eq null", fields=FIELDS)({"t": None}) is True


def test_no_filter_keeps_everything():
    assert parse_filter(None, fields=FIELDS)({}) is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x eq 1", "Could not find a property named 'x'"),
        ("n eq", "ends too early"),
        ("n is 5", "expected eq, ne"),
        ("n eq 5 n", "unexpected text"),
        ("(n eq 5", "expected '\\)'"),
        ("n eq cast('x', Edm.String)", "only cast"),
        ("t eq cast('yesterday', Edm.DateTimeOffset)", "not a valid Edm.DateTimeOffset"),
        ("n eq 5 ; drop", "syntax error at position"),
        ("5 eq n", "expected a property name"),
    ],
)
def test_errors(text, message):
    with pytest.raises(ODataError, match=message):
        parse_filter(text, fields=FIELDS)


def test_select():
    assert parse_select("s, n", FIELDS) == ["s", "n"]
    assert parse_select(None, ["a", "b"]) == ["a", "b"]
    with pytest.raises(ODataError, match="'x'"):
        parse_select("n,x", FIELDS)
