"""Decode PHP-style bracketed form fields (``options[0][name]=x``) into nested values."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["decode_php_params"]

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def decode_php_params(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nest bracketed keys as PHP does; dicts whose keys are all digits become lists.

    Args:
        pairs: form or query fields in order; later values win.

    Returns:
        The nested arguments, e.g. ``{"options": [{"name": "limitfrom", "value": "0"}]}``.

    Examples:
        >>> decode_php_params([("options[ids][0]", "2"), ("courseid", "7")])
        {'options': {'ids': ['2']}, 'courseid': '7'}
    """
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            root[key] = value
            continue
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        last = path[-1]
        node[last if last else str(len(node))] = value
    return {k: _listify(v) for k, v in root.items()}


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    items = {k: _listify(v) for k, v in value.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items
