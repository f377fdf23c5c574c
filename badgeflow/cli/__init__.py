"""The ``badgeflow`` command: set up, run the nightly flow, verify a badge, serve the site."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from badgeflow import store
from badgeflow.cli import status as status_commands
from badgeflow.cli._common import load_settings
from badgeflow.cli._flows import run_flow_process
from badgeflow.cli.batches import batches, quarantine
from badgeflow.cli.catalog import catalog_app
from badgeflow.cli.delivery import bounces, outbox
from badgeflow.cli.email_preview import preview, write_batch_preview
from badgeflow.cli.endorse import endorse
from badgeflow.cli.explain import explain_command, pathways
from badgeflow.cli.intake import intake_app
from badgeflow.cli.keys import init_keys, keys_app
from badgeflow.cli.metrics import metrics_app
from badgeflow.cli.reissue import reissue
from badgeflow.cli.report import explain_halt, report
from badgeflow.cli.verify import verify
from badgeflow.errors import ConfigurationError
from badgeflow.models import JSONDict
from badgeflow.settings import Settings

__all__ = ["app", "main"]

app = typer.Typer(
    help="badgeflow: set up, run the nightly issuance flow, verify a badge, serve the site.",
    no_args_is_help=True,
    add_completion=False,
)
site_app = typer.Typer(help="The static verification site.", no_args_is_help=True)
app.add_typer(site_app, name="site")
app.command()(batches)
app.command()(quarantine)
app.command()(verify)
app.command()(endorse)
app.command()(reissue)
app.command()(report)
app.add_typer(keys_app, name="keys")
app.add_typer(intake_app, name="intake")
app.add_typer(catalog_app, name="catalog")
app.command()(preview)
app.add_typer(metrics_app, name="metrics")

_settings = load_settings


@app.command()
def init() -> None:
    """Create ./var, the issuer keyring (if absent) and the database schema."""
    settings = _settings()
    _init(settings)


def _init(settings: Settings) -> None:
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    try:
        did = init_keys(settings, now=datetime.now(UTC).replace(microsecond=0))
    except ConfigurationError as exc:
        typer.secho(f"configuration error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    engine = store.make_engine(settings.database.url)
    store.migrate(engine)
    engine.dispose()
    typer.echo(f"database        {settings.database.url} (schema up to date)")
    typer.echo(f"issuer          {did}")


@app.command()
def run(
    as_of: Annotated[
        datetime | None, typer.Option(help="Batch clock (ISO 8601, UTC); default now.")
    ] = None,
    source: Annotated[list[str] | None, typer.Option(help="Only this source (repeatable).")] = None,
    full_resync: Annotated[bool, typer.Option(help="Ignore watermarks.")] = False,
    batch_id: Annotated[str | None, typer.Option(help="Resume this batch.")] = None,
    accept_contract_breach: Annotated[
        bool,
        typer.Option(
            help="Proceed even if a batch-level contract rule trips (after checking the data)."
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be issued; write nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --dry-run: print JSON.")] = False,
) -> None:
    """Run the nightly issuance flow once, here, on Prefect's ephemeral API (or PREFECT_API_URL)."""
    settings = _settings()
    if not settings.sources:
        typer.secho(
            "no sources configured: add [[sources]] to badgeflow.toml (or the file named by "
            "BADGEFLOW_CONFIG), or set BADGEFLOW_SOURCES; see README, Configuration. "
            "`badgeflow demo` runs on the bundled demo sources.",
            fg="red",
            err=True,
        )
        raise typer.Exit(2)
    if dry_run:
        from badgeflow.cli.preview import dry_run as _dry_run

        _dry_run(
            settings, as_of=as_of, sources=source or [], full_resync=full_resync, as_json=as_json
        )
        return
    _init(settings)
    summary = _run_flow(
        settings,
        as_of=as_of,
        sources=source or [],
        full_resync=full_resync,
        batch_id=batch_id,
        accept_contract_breach=accept_contract_breach,
    )
    _print_summary(summary)


@app.command()
def demo() -> None:
    """Run the whole pipeline on the bundled demo data and fake Moodle, Canvas and TalentLMS."""
    from badgeflow.cli.demo_engagement import demo_engagement
    from badgeflow.demo import (
        demo_attestations_path,
        demo_canvas_path,
        demo_cohorts_path,
        demo_csv_path,
        demo_dataset_path,
        demo_talentlms_path,
    )
    from badgeflow.demo.traffic import demo_engagement_toml
    from badgeflow.fakelms.canvas import CanvasDataset, FakeCanvas
    from badgeflow.fakelms.moodle import FakeMoodle, MoodleDataset
    from badgeflow.fakelms.talentlms import FakeTalentLMS, TalentLMSDataset

    var = Path("var")
    var.mkdir(exist_ok=True)
    traffic_dir = (var / "traffic").resolve()
    canvas_data = CanvasDataset.load(demo_canvas_path())
    talent_data = TalentLMSDataset.load(demo_talentlms_path())
    with (
        FakeMoodle(MoodleDataset.load(demo_dataset_path()), token="demo-token") as moodle,
        FakeCanvas(canvas_data, token="demo-canvas-token") as canvas,
        FakeTalentLMS(talent_data, api_key="demo-talentlms-key") as talentlms,
    ):
        config = var / "demo.toml"
        config.write_text(
            "# Written by `badgeflow demo`: the bundled demo sources.\n"
            '[signing]\npassphrase = "demo-only-passphrase"\n\n'
            '[[sources]]\nname = "moodle-demo"\nkind = "moodle"\n'
            f'base_url = "{moodle.base_url}"\ntoken = "demo-token"\n'
            'final_assessment = "final-exam"\n\n'
            '[[sources]]\nname = "canvas-demo"\nkind = "canvas"\n'
            f'base_url = "{canvas.base_url}"\ntoken = "demo-canvas-token"\n'
            'final_assessment = "Final exam"\n\n'
            '[[sources]]\nname = "talentlms-demo"\nkind = "talentlms"\n'
            f'base_url = "{talentlms.base_url}"\napi_key = "demo-talentlms-key"\n'
            'final_assessment = "Final test"\n\n'
            '[[sources]]\nname = "partner-lms-export"\nkind = "csv"\n'
            f'path = "{demo_csv_path()}"\n\n'
            f'[facts]\ncohorts_file = "{demo_cohorts_path()}"\n'
            f'attestations_file = "{demo_attestations_path()}"\n\n'
            + demo_engagement_toml(traffic_dir),
            encoding="utf-8",
        )
        os.environ["BADGEFLOW_CONFIG"] = str(config)
        typer.echo(f"fake Moodle     {moodle.base_url} (loopback)")
        typer.echo(f"fake Canvas     {canvas.base_url} (loopback)")
        typer.echo(f"fake TalentLMS  {talentlms.base_url} (loopback)")
        settings = _settings()
        _init(settings)
        summary = _run_flow(settings, as_of=None, sources=[], full_resync=False, batch_id=None)
    _print_summary(summary)
    if summary.get("emails_queued"):  # the rendered emails, for people to look at
        write_batch_preview(settings, batch_id=str(summary["batch_id"]), limit=None)
    demo_engagement(settings, traffic_dir)
    typer.echo(
        "\nNext:\n"
        "  make demo                        # again: issues and emails nothing new\n"
        "  export BADGEFLOW_CONFIG=var/demo.toml   # the demo's settings (key passphrase) for:\n"
        "  .venv/bin/badgeflow site serve   # browse the site at http://127.0.0.1:8000\n"
        "  .venv/bin/badgeflow verify var/site/credentials/<id>.json\n"
        "  .venv/bin/badgeflow revoke <id> --reason 'demo'   # then verify again\n"
        "  .venv/bin/badgeflow batches; .venv/bin/badgeflow quarantine\n"
        "  .venv/bin/badgeflow metrics      # engagement metrics; var/dashboard/index.html"
    )


def _run_flow(
    settings: Settings,
    *,
    as_of: datetime | None,
    sources: list[str],
    full_resync: bool,
    batch_id: str | None,
    accept_contract_breach: bool = False,
) -> JSONDict:
    """Run the nightly flow in a child process, so Prefect starts clean and offline."""
    args: list[str] = []
    if as_of:
        args += ["--as-of", as_of.isoformat()]
    for name in sources:
        args += ["--source", name]
    if full_resync:
        args.append("--full-resync")
    if batch_id:
        args += ["--batch-id", batch_id]
    if accept_contract_breach:
        args.append("--accept-contract-breach")
        typer.secho("accepting contract breaches for this run (--accept-contract-breach)")
    summary = run_flow_process(settings, "flows.nightly_issuance", args, name="nightly-issuance")
    if summary is None:
        explain_halt(settings, batch_id)
        raise typer.Exit(1)
    return summary


def _print_summary(summary: JSONDict) -> None:
    from badgeflow.pipeline.summary import BatchSummary

    fields = {k: v for k, v in summary.items() if k != "balanced"}
    typer.echo("")
    for line in BatchSummary(**fields).lines():
        typer.echo(line)


@site_app.command("serve")
def site_serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8000,
) -> None:
    """Serve the built site on http://127.0.0.1:PORT until Ctrl-C."""
    from badgeflow.site.serve import serve

    settings = _settings()
    directory = settings.site.output_dir
    if not (directory / "index.html").is_file():
        typer.secho(
            f"no site in {directory}: run `badgeflow run` or `make demo` first", fg="red", err=True
        )
        raise typer.Exit(2)
    with serve(directory, port=port) as server:
        typer.echo(f"serving {directory} at {server.url} (Ctrl-C to stop)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            typer.echo("stopped")


status_commands.register(app, site_app)  # revoke, suspend, reinstate, site publish
app.command("explain")(explain_command)
app.command()(pathways)
app.command()(outbox)
app.command()(bounces)


def main() -> None:
    """Console entry point."""
    app()
