"""`badgeflow explain` (why a learner did or did not earn a badge) and `badgeflow pathways`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, NoReturn

import typer

from badgeflow import store
from badgeflow.catalog import Catalog, load_catalog
from badgeflow.cli._common import load_settings, open_sessions
from badgeflow.errors import BadgeflowError
from badgeflow.facts import load_facts
from badgeflow.pipeline.progress import (
    pathway_progress,
    progress_line,
    tier_report,
    tier_report_lines,
)
from badgeflow.rules.explain import LearnerFacts, explain
from badgeflow.rules.explain_render import explanation_json, render_text
from badgeflow.settings import Settings

__all__ = ["explain_command", "pathways"]


def explain_command(
    learner: Annotated[str, typer.Option(help="The learner's email (any letter case).")],
    achievement: Annotated[str, typer.Option(help="The achievement's slug.")],
    as_of: Annotated[
        datetime | None, typer.Option(help="Evaluation clock (ISO 8601, UTC); default now.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ascii_only: Annotated[bool, typer.Option("--ascii", help="[x]/[ ] instead of ✓/✗.")] = False,
) -> None:
    """Show each clause of an achievement's criteria and the data that met or failed it."""
    settings = load_settings()
    clock = _clock(as_of)
    catalog = _catalog(settings)
    if achievement not in catalog.achievements:
        known = ", ".join(sorted(catalog.achievements))
        _fail(f"unknown achievement {achievement!r} (known: {known})")
    email = learner.strip().lower()
    sessions = open_sessions(settings)
    with sessions() as session:
        completions = store.load_completions(session, learner_emails=[email])
        awards = store.load_awards(session, learner_emails=[email])
    try:
        facts_files = load_facts(settings.facts)
    except BadgeflowError as exc:
        _fail(str(exc))
    if not len(completions) and not len(awards):
        _fail(f"no completions or awards stored for learner {email!r}")
    facts = LearnerFacts.from_frames(
        email,
        completions=completions,
        awards=awards,
        cohorts=facts_files.cohorts,
        attestations=facts_files.attestations,
    )
    result = explain(catalog.achievement(achievement), facts, as_of=clock, catalog=catalog)
    progress = pathway_progress(catalog, awards, [email], as_of=clock)
    if as_json:
        data = explanation_json(result)
        data["pathways"] = [
            {
                "pathway": p.pathway,
                "held": p.tiers_held,
                "total": p.tiers_total,
                "next": p.next_tier,
            }
            for p in progress
        ]
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(render_text(result, ascii=ascii_only), nl=False)
    if progress:
        typer.echo("")
        for record in progress:
            typer.echo(progress_line(record, catalog))


def pathways(
    as_of: Annotated[
        datetime | None, typer.Option(help="Clock (ISO 8601, UTC); default now.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Per pathway, how many learners hold each tier (a current, active award)."""
    settings = load_settings()
    catalog = _catalog(settings)
    sessions = open_sessions(settings)
    with sessions() as session:
        report = tier_report(session, catalog, as_of=_clock(as_of))
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    elif not report:
        typer.echo("the catalog has no pathways")
    else:
        for line in tier_report_lines(report, catalog):
            typer.echo(line)


def _clock(as_of: datetime | None) -> datetime:
    if as_of is None:
        return datetime.now(UTC)
    return as_of.replace(tzinfo=UTC) if as_of.tzinfo is None else as_of


def _catalog(settings: Settings) -> Catalog:
    try:
        return load_catalog(settings.catalog_dir)
    except BadgeflowError as exc:
        _fail(f"catalog error: {exc}")


def _fail(message: str) -> NoReturn:
    typer.secho(message, fg="red", err=True)
    raise typer.Exit(2)
