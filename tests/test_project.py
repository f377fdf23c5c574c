"""Project-level promises: the core stays Prefect-free, the deployments and docs match the code."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import yaml

import badgeflow
from badgeflow.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_importing_every_core_module_never_imports_prefect():
    # ruff's banned-api rule stops direct imports; this catches indirect ones too.
    modules = [m.name for m in pkgutil.walk_packages(badgeflow.__path__, "badgeflow.")]
    assert "badgeflow.cli" in modules and "badgeflow.pipeline.issue" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    if '.migrations' in name or name.endswith('__main__'):\n"
        "        continue\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'prefect' or m.startswith('prefect.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout


def test_every_deployment_points_at_a_flow_and_is_in_the_readme():
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    readme = (ROOT / "README.md").read_text()
    assert config["deployments"], "prefect.yaml has no deployments"
    for deployment in config["deployments"]:
        path, function = deployment["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, function)
        assert Path(path).stem == function, "one flow per file, named after the flow"
        assert deployment["name"].startswith(flow.name + "-"), "deployments are <flow>-<cadence>"
        assert deployment.get("description"), deployment["name"]
        for schedule in deployment.get("schedules", []):
            assert schedule.get("timezone"), f"{deployment['name']}: schedule without timezone"
        assert f"`{flow.name}/{deployment['name']}`" in readme, deployment["name"]


def _leaf_settings(model: type, prefix: str = "") -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
            names += _leaf_settings(annotation, f"{prefix}{name}.")
        else:
            names.append(f"{prefix}{name}")
    return names


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    missing = []
    for dotted in _leaf_settings(Settings):
        group, _, leaf = dotted.rpartition(".")
        if f"`{dotted}`" in table or (group and f"`{leaf}`" in table and f"`{group}." in table):
            continue
        missing.append(dotted)
    assert missing == []


def test_every_setting_is_described():
    undocumented = [
        f"{model.__name__}.{name}"
        for model in [Settings, *(f.annotation for f in Settings.model_fields.values())]
        if isinstance(model, type) and hasattr(model, "model_fields")
        for name, field in model.model_fields.items()
        if not field.description
    ]
    assert undocumented == []
