"""Follow a vendor's pages (next links, cursors, page numbers) with a guard against loops."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import TypeVar

import httpx

from badgeflow.errors import SourceError

__all__ = ["next_link", "paginate"]

C = TypeVar("C", bound=Hashable)
T = TypeVar("T")


def paginate(
    fetch: Callable[[C | None], tuple[Sequence[T], C | None]],
    *,
    what: str,
    max_pages: int = 10_000,
    redact: Callable[[str], str] = str,
) -> Iterator[T]:
    """Yield the items of every page, asking `fetch` for the next until it says there is none.

    `fetch(None)` returns the first page; `fetch(cursor)` the page after. Each page comes
    back with the cursor of the next one (a next URL, an opaque cursor, a page number or an
    offset) or None after the last. A server that hands back a cursor it already gave
    (the same ``next`` link twice, a page number that does not advance) would have the
    connector read forever: that raises instead.

    Args:
        fetch: reads one page: ``cursor -> (items, next cursor or None)``.
        what: names the listing in errors.
        max_pages: a hard stop for servers that invent new cursors forever.
        redact: applied to the cursor shown in the error (an `ApiClient.redact`).

    Yields:
        The items, page by page, in order.

    Raises:
        SourceError: a cursor came back twice, or more than `max_pages` pages.

    Examples:
        >>> pages = {None: ([1, 2], 2), 2: ([3], None)}
        >>> list(paginate(lambda c: pages[c], what="numbers"))
        [1, 2, 3]
    """
    seen: set[C] = set()
    cursor: C | None = None
    for _ in range(max_pages):
        items, following = fetch(cursor)
        yield from items
        if following is None:
            return
        if following in seen:
            raise SourceError(
                f"{what}: paging loop: the server sent page {redact(repr(following))} again "
                f"after {len(seen) + 1} page(s); refusing to read forever"
            )
        seen.add(following)
        cursor = following
    raise SourceError(f"{what}: more than {max_pages} pages; refusing to read forever")


def next_link(response: httpx.Response) -> str | None:
    """The ``rel="next"`` URL of an RFC 8288 ``Link`` header (Canvas, 360Learning).

    Args:
        response: a page's response.

    Returns:
        The next page's URL, verbatim, or None on the last page.
    """
    url = response.links.get("next", {}).get("url")
    return str(url) if url else None
