"""A deliberately tiny, safe Markdown subset for criteria narratives.

Supported: paragraphs (blank-line separated), ``-``/``*`` bullet lists, ``1.`` numbered lists
and ``**bold**``. Everything else is shown as text. The input is HTML-escaped before any
markup is added, so a narrative can never inject HTML.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

__all__ = ["render_markdown"]

_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")


def render_markdown(text: str) -> Markup:
    """Render a Markdown narrative to safe HTML.

    Args:
        text: the narrative (OB 3.0 ``criteria.narrative``).

    Returns:
        HTML markup, safe to insert into a page.
    """
    blocks: list[str] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if all(_BULLET.match(line) for line in lines):
            blocks.append(_list("ul", [_BULLET.match(line) for line in lines]))
        elif all(_NUMBERED.match(line) for line in lines):
            blocks.append(_list("ol", [_NUMBERED.match(line) for line in lines]))
        else:
            blocks.append(f"<p>{_inline(' '.join(line.strip() for line in lines))}</p>")
    return Markup("\n".join(blocks))


def _list(tag: str, matches: list[re.Match[str] | None]) -> str:
    items = "".join(f"<li>{_inline(m.group(1))}</li>" for m in matches if m is not None)
    return f"<{tag}>{items}</{tag}>"


def _inline(text: str) -> str:
    return _BOLD.sub(r"<strong>\1</strong>", str(escape(text.strip())))
