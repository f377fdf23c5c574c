"""``badgeflow catalog``: lint the badge catalog, show an achievement's generated narrative."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from badgeflow.catalog_check import check_catalog
from badgeflow.cli._common import load_settings

__all__ = ["catalog_app"]

catalog_app = typer.Typer(help="The badge catalog (badge_catalog/).", no_args_is_help=True)

_Catalog = Annotated[
    Path | None,
    typer.Option(
        "--catalog",
        help="The catalog folder (default: the catalog_dir setting).",
        show_default=False,
    ),
]


def _folder(catalog: Path | None) -> Path:
    return catalog if catalog is not None else load_settings().catalog_dir


@catalog_app.command("check")
def check(catalog: _Catalog = None) -> None:
    """Lint the whole catalog: print every problem as file:line: message; exit 1 if any."""
    result = check_catalog(_folder(catalog))
    for problem in result.problems:
        typer.echo(str(problem))
    typer.secho(result.summary(), fg="red" if result.problems else "green")
    if result.problems:
        raise typer.Exit(1)


@catalog_app.command("narrative")
def narrative(
    slug: Annotated[str, typer.Argument(help="The achievement's slug.")],
    catalog: _Catalog = None,
) -> None:
    """Print the criteria narrative generated from an achievement's rule (Markdown)."""
    result = check_catalog(_folder(catalog))
    if result.catalog is None:
        for problem in result.problems:
            typer.echo(str(problem), err=True)
        typer.secho(f"{result.summary()}; run `badgeflow catalog check`", fg="red", err=True)
        raise typer.Exit(1)
    if slug not in result.catalog.achievements:
        known = ", ".join(sorted(result.catalog.achievements))
        typer.secho(f"unknown achievement {slug!r} (known: {known})", fg="red", err=True)
        raise typer.Exit(2)
    typer.echo(result.catalog.generated_narrative(slug), nl=False)
