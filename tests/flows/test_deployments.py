"""prefect.yaml: typed, described parameters that validate, staggered per-source nightlies, and
`make deploy` (flows/_deploy.py) registering it all against a real Prefect server."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests.demo_env import settings_from, write_config

ROOT = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
DEPLOYMENTS = {d["name"]: d for d in CONFIG["deployments"]}
NIGHTLY = [d for d in CONFIG["deployments"] if d["name"].endswith("-nightly")]
ALERTED = [  # the flows that email ops when they fail
    "nightly-issuance",
    "engagement-metrics",
    "revoke-credentials",
    "rotate-signing-key",
    "rebuild-site",
]


def load_flow(entrypoint: str):
    path, name = entrypoint.split(":")
    return getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)


def demo_source_names(tmp_path) -> list[str]:
    config = write_config(tmp_path, "http://m", "http://c", "http://t")
    return [source.name for source in settings_from(config).sources]


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_every_parameter_has_a_type_and_a_description(name):
    from prefect.utilities.callables import parameter_schema

    schema = parameter_schema(load_flow(DEPLOYMENTS[name]["entrypoint"]))
    assert schema.properties, name
    for parameter, spec in schema.properties.items():
        assert {"type", "anyOf", "allOf", "$ref", "enum"} & set(spec), (name, parameter)
        assert len(spec.get("description", "")) > 10, (name, parameter)


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_every_deployments_parameters_validate_against_its_flow(name):
    from prefect.utilities.callables import parameter_schema
    from prefect.utilities.schema_tools.validation import validate

    deployment = DEPLOYMENTS[name]
    flow = load_flow(deployment["entrypoint"])
    parameters = deployment.get("parameters", {})
    schema = parameter_schema(flow).model_dump_for_openapi()
    assert validate(parameters, schema, raise_on_error=True, ignore_required=True) == []
    if not set(schema.get("required", [])) - set(parameters):
        flow.validate_parameters(parameters)  # what the worker does before the run starts


def test_a_bad_parameter_fails_the_validation():
    from prefect.utilities.callables import parameter_schema
    from prefect.utilities.schema_tools.validation import ValidationError, validate

    from flows.rebuild_site import rebuild_site

    schema = parameter_schema(rebuild_site).model_dump_for_openapi()
    with pytest.raises(ValidationError):
        validate({"mode": "everything"}, schema, raise_on_error=True)


def test_one_staggered_nightly_deployment_per_demo_source(tmp_path):
    sources = [d["parameters"]["sources"] for d in NIGHTLY]
    assert sorted(s for [s] in sources) == sorted(demo_source_names(tmp_path))
    times = []
    for deployment in NIGHTLY:
        [schedule] = deployment["schedules"]
        ZoneInfo(schedule["timezone"])  # a real IANA zone
        assert "/" in schedule["timezone"], "a named zone, so the batch follows local time"
        minute, hour, *every_day = schedule["cron"].split()
        assert every_day == ["*", "*", "*"]
        # 03:00-03:59 exists exactly once every day in Europe and North America (DST).
        assert int(hour) == 3, schedule
        times.append(int(minute))
        assert deployment["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}
        assert deployment["entrypoint"] == "flows/nightly_issuance.py:nightly_issuance"
    assert (
        len(set(times)) == len(times)
        and min(b - a for a, b in zip(sorted(times), sorted(times)[1:], strict=False)) >= 15
    )


def test_the_manual_and_admin_deployments_have_no_schedule():
    for name in [
        "nightly-issuance-manual",
        "rerun-batch-manual",
        "revoke-credentials-manual",
        "rotate-signing-key-manual",
        "rebuild-site-manual",
    ]:
        assert not DEPLOYMENTS[name].get("schedules"), name
    assert DEPLOYMENTS["rerun-batch-manual"]["entrypoint"] == "flows/rerun_batch.py:rerun_batch"


def test_every_deployment_runs_on_the_process_pool_without_secret_text():
    for deployment in CONFIG["deployments"]:
        pool = deployment["work_pool"]
        assert pool["name"] == "badgeflow-process"
        env = pool["job_variables"]["env"]
        assert env["DO_NOT_TRACK"] == "1" and env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
        for name, value in env.items():
            if any(word in name for word in ("PASSWORD", "PASSPHRASE", "TOKEN", "SECRET")):
                assert value.startswith(("prefect-secret:", "{{ prefect.blocks.secret.")), name


@pytest.mark.parametrize("flow_name", ALERTED)
def test_failed_and_crashed_runs_alert_ops(flow_name):
    from tasks.alerts import alert_ops

    [flow] = {
        load_flow(d["entrypoint"])
        for d in CONFIG["deployments"]
        if d["entrypoint"].split(":")[1].replace("_", "-") == flow_name
    }
    assert alert_ops in flow.on_failure_hooks and alert_ops in flow.on_crashed_hooks


def test_deploy_script_finds_secret_block_references():
    from flows._deploy import secret_blocks

    text = (
        "env:\n"
        '  A: "{{ prefect.blocks.secret.smtp-password }}"\n'
        '  B: "prefect-secret:moodle-token"\n'
        '  # C: "{{ prefect.blocks.secret.commented-out }}"\n'
        "  # D: prefect-secret:also-commented\n"
    )
    assert secret_blocks(text) == ({"smtp-password"}, {"moodle-token"})
    assert secret_blocks((ROOT / "prefect.yaml").read_text()) == (set(), set())


def test_deploy_script_finds_the_sources_the_deployments_name():
    from flows._deploy import deployed_sources

    text = (
        "deployments:\n"
        "  - name: a\n    parameters: {sources: [moodle, canvas]}\n"
        "  - name: b\n    parameters: {sources: [canvas, blackboard]}\n"
        "  - name: all\n    parameters: {}\n"
        "  - name: admin\n"
    )
    assert deployed_sources(text) == ["moodle", "canvas", "blackboard"]
    assert deployed_sources((ROOT / "prefect.yaml").read_text()) == [
        d["parameters"]["sources"][0] for d in NIGHTLY
    ]


@pytest.mark.slow
def test_make_deploy_registers_every_deployment(prefect_harness):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    from flows._deploy import ensure_concurrency_limit, ensure_work_pool
    from tasks.alerts import _deployment_name

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "BADGEFLOW_SMTP_LIMIT": "3"}
    done = subprocess.run(
        [sys.executable, "-m", "flows._deploy", "--source-limits", "--source", "extra-lms"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "work pool badgeflow-process: created" in done.stdout
    with get_client(sync_client=True) as client:
        assert client.read_work_pool("badgeflow-process").type == "process"
        assert client.read_global_concurrency_limit_by_name("badgeflow-smtp").limit == 3
        # a second `make deploy` keeps both (and the limit ops may have tuned)
        assert ensure_work_pool(client) == "kept"
        assert ensure_concurrency_limit(client, "badgeflow-smtp", 9) == "kept (3)"
        # one batch per source: a limit of 1 for each deployed source and each --source
        sources = [d["parameters"]["sources"][0] for d in NIGHTLY]
        assert "moodle-demo" in sources and "partner-lms-export" in sources
        for source in [*sources, "extra-lms"]:
            name = f"badgeflow-source-{source}"
            assert f"concurrency limit {name}: created" in done.stdout
            assert client.read_global_concurrency_limit_by_name(name).limit == 1
            # other flow tests share this server: a crashed run there must not wait for a lease
            client.delete_global_concurrency_limit_by_name(name)
        registered = {d.name: d for d in client.read_deployments()}
        # a run of a deployment is named by it in the failure alert
        run = client.create_flow_run_from_deployment(
            registered["rebuild-site-manual"].id, parameters={"mode": "full"}
        )
        assert _deployment_name(client.read_flow_run(run.id)) == "rebuild-site-manual"
        client.delete_flow_run(run.id)  # never picked up: no worker polls the harness
    assert set(registered) == set(DEPLOYMENTS)
    for name, expected in DEPLOYMENTS.items():
        deployment = registered[name]
        assert deployment.parameters == expected.get("parameters", {}), name
        assert deployment.work_pool_name == "badgeflow-process"
        schedules = [(s.schedule.cron, s.schedule.timezone, s.active) for s in deployment.schedules]
        assert schedules == [
            (s["cron"], s["timezone"], True) for s in expected.get("schedules", [])
        ], name
        limit = expected.get("concurrency_limit")
        if limit is None:
            assert deployment.global_concurrency_limit is None, name
        else:
            assert deployment.global_concurrency_limit.limit == limit["limit"], name
            strategy = deployment.concurrency_options.collision_strategy
            assert strategy.value == limit["collision_strategy"], name
        assert deployment.parameter_openapi_schema["properties"], name
