"""Markdown-lite for email bodies: criteria narratives and per-achievement messages.

Supported: paragraphs (blank-line separated), ``-``/``*`` and ``1.`` lists (continuation
lines and one level of nesting), ``**bold**``, ``*italic*`` and ``[text](https://...)``
links. Everything else is text. The input is HTML-escaped before any markup is added, and
every element gets its style inline (email clients drop ``<style>`` blocks), so a message
can never inject HTML. `to_text` gives the plain-text part's version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

__all__ = ["to_html", "to_text"]

_ITEM = re.compile(r"^(\s*)(?:[-*]|(\d+)[.)])\s+(.*)$")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\*\w])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\*\w])")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s()<>]+)\)")


@dataclass
class _Item:
    text: str
    children: list[str] = field(default_factory=list)


@dataclass
class _List:
    ordered: bool
    items: list[_Item]


def _blocks(source: str) -> list[str | _List]:
    blocks: list[str | _List] = []
    for chunk in re.split(r"\n\s*\n", source.replace("\r\n", "\n").strip()):
        lines = [line for line in chunk.split("\n") if line.strip()]
        first = _ITEM.match(lines[0]) if lines else None
        if first is None:
            if lines:
                blocks.append(" ".join(line.strip() for line in lines))
            continue
        base, current = len(first.group(1)), _List(first.group(2) is not None, [])
        for line in lines:
            match = _ITEM.match(line)
            if match is not None and len(match.group(1)) <= base:
                current.items.append(_Item(match.group(3).strip()))
            elif match is not None and current.items:
                current.items[-1].children.append(match.group(3).strip())
            elif current.items and current.items[-1].children:
                current.items[-1].children[-1] += " " + line.strip()
            elif current.items:
                current.items[-1].text += " " + line.strip()
        blocks.append(current)
    return blocks


def _inline(text: str, link_colour: str) -> str:
    html = str(escape(text))
    html = _LINK.sub(rf'<a href="\2" style="color:{link_colour};">\1</a>', html)
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    return _ITALIC.sub(r"<em>\1</em>", html)


def to_html(source: str, *, link_colour: str, font: str = "16px/24px") -> Markup:
    """Render markdown-lite to email-safe HTML with inline styles.

    Args:
        source: the text (a catalog's narrative or message; never trusted as HTML).
        link_colour: ``#rrggbb`` of links.
        font: CSS ``font`` size/line-height shorthand for the blocks.

    Returns:
        Safe markup of ``<p>``, ``<ul>``/``<ol>``, ``<strong>``, ``<em>`` and ``<a>``.
    """
    size, _, height = font.partition("/")
    style = f"margin:0 0 12px 0;font-size:{size};line-height:{height};"
    out: list[str] = []
    for block in _blocks(source):
        if isinstance(block, str):
            out.append(f'<p style="{style}">{_inline(block, link_colour)}</p>')
            continue
        tag = "ol" if block.ordered else "ul"
        items = []
        for item in block.items:
            nested = ""
            if item.children:
                inner = "".join(f"<li>{_inline(c, link_colour)}</li>" for c in item.children)
                nested = f'<ul style="margin:4px 0;padding:0 0 0 20px;">{inner}</ul>'
            items.append(
                f'<li style="margin:0 0 4px 0;">{_inline(item.text, link_colour)}{nested}</li>'
            )
        out.append(f'<{tag} style="{style}padding:0 0 0 24px;">{"".join(items)}</{tag}>')
    return Markup("\n".join(out))


def _plain(text: str) -> str:
    text = _LINK.sub(r"\1 (\2)", text)
    text = _BOLD.sub(r"\1", text)
    return _ITALIC.sub(r"\1", text)


def to_text(source: str) -> str:
    """Render markdown-lite as plain text: emphasis dropped, links as ``text (url)``.

    Args:
        source: the text.

    Returns:
        Paragraphs and lists separated by blank lines, lists as ``- item`` or ``1. item``.
    """
    out: list[str] = []
    for block in _blocks(source):
        if isinstance(block, str):
            out.append(_plain(block))
            continue
        lines = []
        for n, item in enumerate(block.items, start=1):
            lines.append(f"{n}. " if block.ordered else "- ")
            lines[-1] += _plain(item.text)
            lines.extend(f"   - {_plain(child)}" for child in item.children)
        out.append("\n".join(lines))
    return "\n\n".join(out)
