"""Running a flow module in a child process, for the CLI (the core never imports Prefect)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import typer

from badgeflow.models import JSONDict
from badgeflow.runtime_env import apply_offline_defaults
from badgeflow.settings import Settings

__all__ = ["run_flow_process"]


def run_flow_process(
    settings: Settings, module: str, args: list[str], *, name: str
) -> JSONDict | None:
    """Run ``python -m <module> <args> --summary-json F`` with Prefect's offline defaults.

    Args:
        settings: the settings (where Prefect's home goes, under ``var_dir``).
        module: the flow module, e.g. ``flows.nightly_issuance``.
        args: its command-line arguments.
        name: the flow's name, for the messages.

    Returns:
        The flow's summary, or None when it failed (the reason is in its log, printed above).
    """
    env = dict(os.environ)
    apply_offline_defaults(env, prefect_home=settings.var_dir / "prefect")
    with tempfile.TemporaryDirectory() as tmp:
        summary_file = Path(tmp) / "summary.json"
        cmd = [sys.executable, "-m", module, *args, "--summary-json", str(summary_file)]
        typer.echo(
            f"starting the {name} flow (Prefect ephemeral API; first start takes a while)..."
        )
        started = time.monotonic()
        result = subprocess.run(cmd, env=env, check=False)
        if result.returncode != 0:
            typer.secho(
                f"{name} flow failed (exit {result.returncode}); see the log above",
                fg="red",
                err=True,
            )
            return None
        typer.echo(f"{name} flow finished in {time.monotonic() - started:.1f} s")
        summary: JSONDict = json.loads(summary_file.read_text(encoding="utf-8"))
        return summary
