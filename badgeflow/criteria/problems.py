"""Catalog problems with their place (`Problem`), and reading YAML with line numbers.

The catalog loader collects every problem it finds instead of stopping at the first, so
``badgeflow catalog check`` can list them all; `load_catalog` raises one `CatalogError`
that carries them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from badgeflow.criteria.nodes import Where
from badgeflow.errors import CatalogError

__all__ = ["Problem", "compose_file", "construct", "line_of", "raise_problems", "where_of"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the catalog, where it was written."""

    where: Where
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def where_of(file: str, node: yaml.Node) -> Where:
    """The file and 1-based line where a YAML node starts."""
    return Where(file, node.start_mark.line + 1)


def compose_file(path: Path, problems: list[Problem]) -> yaml.MappingNode | None:
    """Read a YAML file as a node tree whose top level must be a mapping.

    Args:
        path: the file.
        problems: where a missing, unreadable or non-mapping file is reported.

    Returns:
        The top-level mapping node, or None (and a problem) when there is none.
    """
    file = str(path)
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except FileNotFoundError:
        problems.append(Problem(Where(file, 1), "missing"))
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and start is not None:
            what += f" ({context} at line {start.line + 1})"
        problems.append(Problem(Where(file, line), f"not valid YAML: {what}"))
        return None
    if not isinstance(node, yaml.MappingNode):
        line = node.start_mark.line + 1 if node is not None else 1
        problems.append(Problem(Where(file, line), "expected a mapping at the top level"))
        return None
    return node


def construct(node: yaml.Node) -> Any:
    """The Python value of a node (safe types only: dict, list, str, int, float, bool, None)."""
    return yaml.SafeLoader("").construct_object(node, deep=True)


def line_of(node: yaml.Node, loc: Sequence[int | str]) -> int:
    """The line of the deepest node found along a path of keys and indexes (1-based).

    Args:
        node: the node to start from (a file's top-level mapping).
        loc: keys and list indexes, as pydantic reports an error's location.

    Returns:
        The line of the node at ``loc``, or of the nearest ancestor that exists.
    """
    for step in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            child = node.value[step] if 0 <= step < len(node.value) else None
        if child is None:
            break
        node = child
    return int(node.start_mark.line) + 1


def raise_problems(problems: Sequence[Problem]) -> None:
    """Raise one `CatalogError` listing every problem (one per line), if there are any.

    Raises:
        CatalogError: when ``problems`` is not empty.
    """
    if problems:
        lines = "\n".join(str(p) for p in problems)
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        raise CatalogError(f"the badge catalog has {count}:\n{lines}")
