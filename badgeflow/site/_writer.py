"""The site's jinja2 environment and the writer every page and file goes through."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, select_autoescape

from badgeflow.models import JSONDict
from badgeflow.site import _learner_pages
from badgeflow.site._tree import TreeWriter

__all__ = ["SiteFileWriter", "environment"]

# auto_reload off: templates are package data, and checking each one's mtime on every
# render cost a stat per page (1.2 million at 100,000 credentials).
environment = Environment(
    loader=PackageLoader("badgeflow", "templates"),
    autoescape=select_autoescape(),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
environment.filters["long_date"] = lambda d: f"{d.day} {d:%B %Y}" if isinstance(d, date) else str(d)
_learner_pages.register_template_helpers(environment)
_templates: dict[str, Template] = {}


class SiteFileWriter:
    """Render pages and put files through a `TreeWriter`, counting pages and files."""

    def __init__(self, tree: TreeWriter) -> None:
        """Write through ``tree``."""
        self.tree = tree
        self.pages = 0
        self.files = 0
        self.kept_units = 0

    def bytes(self, relative: str, data: bytes) -> None:
        """Write a binary file."""
        self.tree.put(relative, data)
        self.files += 1

    def text(self, relative: str, text: str) -> None:
        """Write a UTF-8 text file."""
        self.bytes(relative, text.encode("utf-8"))

    def json(self, relative: str, document: JSONDict) -> None:
        """Write a JSON document (indented, UTF-8)."""
        self.text(relative, json.dumps(document, indent=2, ensure_ascii=False) + "\n")

    def page(self, relative: str, template: str, common: dict[str, Any], **context: Any) -> None:
        """Render a template to a page; its links are relative to the page's folder."""
        compiled = _templates.get(template)
        if compiled is None:
            compiled = _templates[template] = environment.get_template(template)
        root = "../" * relative.count("/")
        self.text(relative, compiled.render(**common, **context, root=root))
        self.pages += 1

    def kept(self, paths: list[str]) -> None:
        """Count files kept as published without rendering (a unit the cache vouched for)."""
        self.kept_units += 1
        self.files += len(paths)
        self.pages += sum(1 for path in paths if path.endswith(".html"))
