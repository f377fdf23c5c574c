from __future__ import annotations

import httpx
import pytest

from badgeflow.errors import SourceError, is_transient
from badgeflow.lms._http import next_link, paginate


def pages(table):
    calls = []

    def fetch(cursor):
        calls.append(cursor)
        return table[cursor]

    return fetch, calls


def test_reads_every_page_in_order():
    fetch, calls = pages({None: ([1, 2], "b"), "b": ([3], "c"), "c": ([], None)})

    assert list(paginate(fetch, what="items")) == [1, 2, 3]
    assert calls == [None, "b", "c"]


@pytest.mark.parametrize(
    "table",
    [
        {None: ([1], "b"), "b": ([2], "b")},  # the same next link again
        {None: ([1], "b"), "b": ([2], "c"), "c": ([3], "b")},  # a cycle
        {None: ([1], 2), 2: ([2], 2)},  # a page number that does not advance
    ],
)
def test_a_repeated_cursor_is_a_paging_loop(table):
    fetch, _ = pages(table)

    with pytest.raises(SourceError, match="items: paging loop") as caught:
        list(paginate(fetch, what="items"))

    assert not is_transient(caught.value)


def test_endless_new_cursors_stop_at_max_pages():
    with pytest.raises(SourceError, match="more than 5 pages"):
        list(paginate(lambda c: ([c], (c or 0) + 1), what="items", max_pages=5))


def test_the_loop_error_is_redacted():
    fetch, _ = pages({None: ([1], "/x?apikey=k"), "/x?apikey=k": ([2], "/x?apikey=k")})

    with pytest.raises(SourceError) as caught:
        list(paginate(fetch, what="items", redact=lambda s: s.replace("k'", "***'")))

    assert "apikey=***" in str(caught.value)


def test_next_link_reads_the_link_header():
    link = (
        '<https://c.test/api/v1/x?page=2&per_page=10>; rel="next", '
        '<https://c.test/api/v1/x?page=1&per_page=10>; rel="first"'
    )
    response = httpx.Response(200, headers={"Link": link})

    assert next_link(response) == "https://c.test/api/v1/x?page=2&per_page=10"
    assert next_link(httpx.Response(200)) is None
