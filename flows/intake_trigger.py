"""Start a nightly-issuance run for a webhook source right after the intake stored events.

Wired by ``badgeflow intake serve`` when ``intake.trigger_deployment`` is set (the core calls
`deployment_starter` through a lazy import and debounces it per source).
"""

from __future__ import annotations

from collections.abc import Callable

from prefect.deployments import run_deployment


def deployment_starter(deployment: str) -> Callable[[str], None]:
    """Return a callback starting `deployment` for one source, without waiting for it.

    Args:
        deployment: ``<flow name>/<deployment name>``, e.g.
            ``nightly-issuance/nightly-issuance-manual``.

    Returns:
        ``start(source)``: creates a flow run with ``sources=[source]`` (``timeout=0``: the
        call returns once the run is scheduled; a worker picks it up).
    """

    def start(source: str) -> None:
        run_deployment(name=deployment, parameters={"sources": [source]}, timeout=0)

    return start
