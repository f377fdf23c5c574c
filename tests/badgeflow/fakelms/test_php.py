from __future__ import annotations

from badgeflow.fakelms._php import decode_php_params


def test_scalars_pass_through():
    assert decode_php_params([("courseid", "7"), ("userid", "3")]) == {
        "courseid": "7",
        "userid": "3",
    }


def test_numbered_brackets_become_lists_in_index_order():
    pairs = [
        ("options[1][name]", "limitnumber"),
        ("options[1][value]", "2"),
        ("options[0][name]", "limitfrom"),
        ("options[0][value]", "0"),
    ]

    assert decode_php_params(pairs) == {
        "options": [{"name": "limitfrom", "value": "0"}, {"name": "limitnumber", "value": "2"}]
    }


def test_named_brackets_become_dicts_and_empty_brackets_append():
    pairs = [("options[ids][0]", "2"), ("options[ids][1]", "5"), ("tags[]", "a"), ("tags[]", "b")]

    assert decode_php_params(pairs) == {"options": {"ids": ["2", "5"]}, "tags": ["a", "b"]}


def test_later_values_win():
    assert decode_php_params([("a", "1"), ("a", "2")]) == {"a": "2"}
