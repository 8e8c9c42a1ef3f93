"""Two rooms, one direction, read from the source (no Spark, milliseconds).

``app`` is what ships to Databricks: ``app.pipeline`` (the medallion pipeline)
on ``app.platform`` (the adapter). Everything else is local. The deployable
package imports nothing local, and the pipeline code never reaches for the
SparkContext or the JVM, which Databricks serverless and standard access mode
compute refuse (``app/platform/scheduling.py`` applies such settings).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
PIPELINE = APP / "pipeline"
LOCAL_ROOTS = ("lakehouse_local", "data_generators", "emulators", "tests", "bench")
# Spark internals refused by serverless / standard access mode compute.
FORBIDDEN = re.compile(r"\bsparkContext\b|\bSparkContext\b|\b_jvm\b|\b_jsc\b|\b_gateway\b"
                       r"|\bsetLocalProperty\b")


def _sources(folder: Path) -> list[Path]:
    files = sorted(folder.rglob("*.py"))
    assert files, f"no sources under {folder}"
    return files


def _imported(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports (also inside functions and TYPE_CHECKING blocks)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def test_pipeline_code_does_not_touch_spark_context_or_the_jvm() -> None:
    hits = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in _sources(PIPELINE)
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if FORBIDDEN.search(line)
    ]
    assert not hits, "pipeline code must leave these to app/platform:\n" + "\n".join(hits)


def test_pipeline_code_uses_no_api_spark_connect_lacks() -> None:
    """Delta's Python table API needs a Delta plugin on a Connect server: MERGE is SQL."""
    hits = [
        f"{path.relative_to(PIPELINE)}:{n}: {module}"
        for path in _sources(PIPELINE)
        for n, module in _imported(path)
        if module == "delta" or module.startswith("delta.")
    ]
    assert not hits, "pipeline code must not import Delta's Python API:\n" + "\n".join(hits)


def test_the_deployable_package_imports_nothing_local() -> None:
    hits = [
        f"{path.relative_to(ROOT)}:{n}: {module}"
        for path in _sources(APP)
        for n, module in _imported(path)
        if module.split(".")[0] in LOCAL_ROOTS
    ]
    assert not hits, "app/ ships to Databricks; it may not import:\n" + "\n".join(hits)


def test_the_adapter_does_not_import_the_pipeline() -> None:
    hits = [
        f"{path.relative_to(ROOT)}:{n}: {module}"
        for path in _sources(APP / "platform")
        for n, module in _imported(path)
        if module == "app.pipeline" or module.startswith("app.pipeline.")
    ]
    assert not hits, "\n".join(hits)


def test_the_import_contracts_hold() -> None:
    """The contracts `make lint` checks (pyproject.toml, [tool.importlinter])."""
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint_imports is None:
        pytest.skip("import-linter not installed (`make setup` installs the dev extras)")
    proc = subprocess.run([lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
