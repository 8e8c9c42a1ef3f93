"""azure-pipelines.yml: Microsoft's schema (as in `make lint`), and every script it calls exists."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / "azure-pipelines.yml", ROOT / "release" / "steps.yml"]


def _load(path: Path) -> Any:
    yaml = pytest.importorskip("ruamel.yaml")
    return yaml.YAML(typ="safe").load(path.read_text())


def _walk(node: Any, key: str) -> list[Any]:
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                found.append(v)
            found += _walk(v, key)
    elif isinstance(node, list):
        for v in node:
            found += _walk(v, key)
    return found


def test_the_pipeline_passes_microsoft_s_schema() -> None:
    exe = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("check-jsonschema is not installed (`make setup`)")
    proc = subprocess.run([exe, "--builtin-schema", "vendor.azure-pipelines",
                           "--regex-variant", "python", *map(str, FILES)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_script_and_template_it_calls_exists() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    checked = 0
    for path in FILES:
        doc = _load(path)
        for template in _walk(doc, "template"):
            assert (ROOT / template).is_file(), f"{path.name}: template {template} missing"
            checked += 1
        for script in _walk(doc, "script"):
            for target in re.findall(r"\bmake ([a-z][a-z-]*)", script):
                assert target in targets, f"{path.name}: make {target} is no Makefile target"
                checked += 1
            for file in re.findall(r"(?<![\w$/.-])((?:\.ci|release)/[\w./-]+)", script):
                assert (ROOT / file).exists(), f"{path.name}: {file} is not in the repository"
                checked += 1
    assert checked >= 5


def test_release_stages_are_deployments_per_environment_with_the_variable_group() -> None:
    doc = _load(ROOT / "azure-pipelines.yml")
    assert set(doc["trigger"]["branches"]["include"]) >= {"feature/*", "release/*"}
    assert "pr" in doc
    stages = {s["stage"]: s for s in doc["stages"]}
    envs = []
    for name in ("Dev", "QA", "Prod"):
        (job,) = stages[name]["jobs"]
        envs.append(job["environment"])
        groups = [v["group"] for v in stages[name]["variables"]]
        assert len(groups) == 1
    assert envs == ["lakehouse-dev", "lakehouse-qa", "lakehouse-prod"]
    assert stages["QA"]["dependsOn"] == "Dev" and stages["Prod"]["dependsOn"] == "QA"
    assert "isRelease" in stages["Prod"]["condition"]
    steps = _load(ROOT / "release" / "steps.yml")["steps"]
    deploy = next(s for s in steps if "release/deploy.py" in s.get("script", ""))
    assert deploy["env"] == {"DATABRICKS_HOST": "$(DATABRICKS_HOST)",
                             "DATABRICKS_TOKEN": "$(DATABRICKS_TOKEN)"}
