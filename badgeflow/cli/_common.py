"""Helpers shared by the command modules."""

from __future__ import annotations

import typer
from sqlalchemy.orm import Session, sessionmaker

from badgeflow import store
from badgeflow.errors import BadgeflowError
from badgeflow.settings import Settings

__all__ = ["load_settings", "open_sessions"]


def load_settings() -> Settings:
    """Load settings, or exit with status 2 and the reason."""
    try:
        return Settings()
    except (BadgeflowError, ValueError) as exc:
        typer.secho(f"configuration error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc


def open_sessions(settings: Settings) -> sessionmaker[Session]:
    """Open the configured database, or exit with status 2 when it is not set up."""
    try:
        engine = store.make_engine(settings.database.url)
        store.check_schema(engine)
    except BadgeflowError as exc:
        typer.secho(f"{exc}\nRun `badgeflow init` first.", fg="red", err=True)
        raise typer.Exit(2) from exc
    return store.session_factory(engine)
