"""Read a dashboard page back: its tables (cell text, unescaped) and its SVG labels."""

from __future__ import annotations

from html.parser import HTMLParser


class PageText(HTMLParser):
    """Collects every table's rows, the headline figures and the SVG <text> contents."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[tuple[str, ...]]] = []
        self.svg_text: list[str] = []
        self.headline: dict[str, str] = {}
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._in: list[str] = []
        self._dt = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self._in.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th", "text", "dt", "dd"):
            self._cell = []

    def handle_endtag(self, tag):
        while self._in and self._in.pop() != tag:
            pass
        text = "".join(self._cell or []).strip()
        if tag in ("td", "th") and self._row is not None:
            self._row.append(text)
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1].append(tuple(self._row))
            self._row = None
        elif tag == "text":
            self.svg_text.append(text)
        elif tag == "dt":
            self._dt = text
        elif tag == "dd":
            self.headline[self._dt] = text
        if tag in ("td", "th", "text", "dt", "dd"):
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None and "title" not in self._in[-1:]:
            self._cell.append(data)

    def table_after(self, caption: str) -> list[tuple[str, ...]]:
        """The table whose caption or header row starts with `caption`."""
        for table in self.tables:
            if table and table[0][0] == caption:
                return table
        raise KeyError(caption)
