"""The site's jinja2 environment and the writer every page and file goes through."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Hashable, Mapping
from datetime import date
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, select_autoescape

from badgeflow.models import JSONDict
from badgeflow.site import _learner_pages
from badgeflow.site._stencils import StencilCache
from badgeflow.site._tree import TreeWriter

__all__ = ["SiteFileWriter", "environment", "json_text"]

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

    def __init__(self, tree: TreeWriter, *, stencils: bool = True) -> None:
        """Write through ``tree``; ``stencils`` off renders every page in full (for tests)."""
        self.tree = tree
        self.pages = 0
        self.files = 0
        self.kept_units = 0
        self._stencils = StencilCache(_render) if stencils else None

    def bytes(self, relative: str, data: bytes) -> None:
        """Write a binary file."""
        self.tree.put(relative, data)
        self.files += 1

    def text(self, relative: str, text: str) -> None:
        """Write a UTF-8 text file."""
        self.bytes(relative, text.encode("utf-8"))

    def json(self, relative: str, document: JSONDict) -> None:
        """Write a JSON document (indented, UTF-8)."""
        self.text(relative, json_text(document))

    def page(self, relative: str, template: str, common: dict[str, Any], **context: Any) -> None:
        """Render a template to a page; its links are relative to the page's folder."""
        root = "../" * relative.count("/")
        self.text(relative, _render(template, {**common, **context, "root": root}))
        self.pages += 1

    def stencil_page(
        self,
        relative: str,
        template: str,
        common: dict[str, Any],
        key: Hashable,
        values: Mapping[str, str],
        context: Callable[[Mapping[str, str]], dict[str, Any]],
        ids: Collection[str] = (),
    ) -> None:
        """Render a page that differs from its siblings only in ``values`` (`_stencils`).

        Args:
            relative: the page's path.
            template: the template's name.
            common: the variables every page gets (the same for the writer's lifetime).
            key: everything else the page depends on (hashable, stable while writing).
            values: the per-page values (plain text).
            context: the page's variables for given values.
            ids: the values that are safe file names.
        """
        if self._stencils is None:
            self.page(relative, template, common, **context(values))
            return
        root = "../" * relative.count("/")

        def full(slots: Mapping[str, str]) -> dict[str, Any]:
            return {**common, **context(slots), "root": root}

        page = self._stencils.render((template, root, key), template, values, full, ids)
        self.text(relative, page)
        self.pages += 1

    def kept(self, paths: list[str]) -> None:
        """Count files kept as published without rendering (a unit the cache vouched for)."""
        self.kept_units += 1
        self.files += len(paths)
        self.pages += sum(1 for path in paths if path.endswith(".html"))


def json_text(document: JSONDict) -> str:
    """A JSON document as the site publishes it (indented, non-ASCII kept, a final newline)."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _render(template: str, context: dict[str, Any]) -> str:
    compiled = _templates.get(template)
    if compiled is None:
        compiled = _templates[template] = environment.get_template(template)
    return compiled.render(context)
