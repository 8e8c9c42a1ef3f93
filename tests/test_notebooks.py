"""The deployable notebooks: source format, only the package and Databricks' globals.

Read from the source (no Spark). A notebook may import only ``app`` and may
use no name it does not define itself besides ``spark`` and ``dbutils``.
Their widgets are read through ``app.notebooks.widget_values``, tried here
with the local dbutils stand-in.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

from app.notebooks import widget_values
from emulators.databricks.dbutils import DBUtils
from emulators.databricks.notebook import HEADER, cells

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
GLOBALS = {"spark", "dbutils"}


def test_the_issue_s_three_notebooks_exist() -> None:
    assert {p.stem for p in NOTEBOOKS} >= {"run", "batch_test", "stream_test"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_notebook_is_source_format_and_uses_only_the_package(path: Path) -> None:
    text = path.read_text()
    assert text.splitlines()[0] == HEADER
    code = "\n".join(cells(text))
    tree = ast.parse(code)
    imported, defined, used = set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
            defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
            defined |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Name):
            (defined if isinstance(node.ctx, ast.Store) else used).add(node.id)
    assert imported <= {"app"}, f"{path.name} imports {sorted(imported - {'app'})}"
    free = used - defined - set(dir(builtins))
    assert free <= GLOBALS, f"{path.name} uses undefined names {sorted(free - GLOBALS)}"


def test_widgets_come_from_parameters_then_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAKEHOUSE_ENV", raising=False)
    monkeypatch.delenv("LAKEHOUSE_PROCESSING_TIME", raising=False)
    dbutils = DBUtils({"environment": "qa", "run_type": "stream"})
    assert widget_values(dbutils, fresh="true") == {
        "environment": "qa", "run_type": "stream", "processing_time": "5 seconds",
        "fresh": "true"}
