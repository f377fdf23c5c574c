"""The README's tables of the metrics views, generated from `badgeflow.metrics.views`.

``python -m badgeflow.metrics.docs`` prints them; a test checks the README holds exactly
this text, so the documented columns cannot drift from the views.
"""

from __future__ import annotations

from badgeflow.metrics.views import VIEWS

__all__ = ["view_tables"]


def view_tables() -> str:
    """Markdown: per view, its grain and a table of its columns and their meaning."""
    blocks = []
    for spec in VIEWS:
        rows = "\n".join(
            f"| `{name}` | {meaning.replace('|', '/')} |" for name, meaning in spec.columns.items()
        )
        blocks.append(
            f"#### `{spec.name}`\n\n{spec.grain.capitalize()}.\n\n| column | meaning |\n"
            f"|---|---|\n{rows}\n"
        )
    return "\n".join(blocks)


if __name__ == "__main__":
    print(view_tables(), end="")
