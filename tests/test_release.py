"""The release script against the emulator: the same script a real workspace gets.

Run as a real process with only DATABRICKS_HOST and DATABRICKS_TOKEN pointing
at the emulator and without this repository on its path (it may import
nothing from it). The job's notebook is a tiny stand-in for the batch test
that imports its report from a tiny wheel (no Spark): a passing report gives
exit status 0 and one JUnit case per check, a failing one result state FAILED,
a non-zero exit and a failed case; the job is deleted either way, and the
token appears nowhere.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("databricks.sdk")
from databricks.sdk import WorkspaceClient  # noqa: E402
from databricks.sdk.core import Config  # noqa: E402

from emulators.databricks import server  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TOKEN = f"dapi{secrets.token_hex(16)}"
REPORTER = '''
import json
def report(ok):
    cases = [{"name": "counts.users", "ok": True, "message": "", "seconds": 0.1},
             {"name": "rows.gym_summary", "ok": ok, "seconds": 0.2,
              "message": "" if ok else "gym_summary: 2 rows missing"}]
    return json.dumps({"environment": "dev", "ok": ok, "cases": cases})
'''
NOTEBOOK = '''# Databricks notebook source
from tinyreport import report

# COMMAND ----------

dbutils.widgets.text("environment", "dev")
ok = dbutils.widgets.get("outcome") == "pass"
if not ok:
    raise AssertionError("batch test FAILED\\nBATCH_TEST_REPORT=" + report(False))
dbutils.notebook.exit(report(True))
'''


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[server.EmulatorServer]:
    srv, _ = server.start(tmp_path_factory.mktemp("databricks"), TOKEN)
    yield srv
    server.stop(srv)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("artifacts")
    wheel = base / "tinyreport-0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("tinyreport/__init__.py", REPORTER)
    notebooks = base / "notebooks"
    notebooks.mkdir()
    (notebooks / "batch_test.py").write_text(NOTEBOOK)
    return wheel, notebooks


def release(emulator: server.EmulatorServer, artifacts: tuple[Path, Path], tmp_path: Path,
            outcome: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    wheel, notebooks = artifacts
    junit = tmp_path / "junit.xml"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(DATABRICKS_HOST=emulator.url, DATABRICKS_TOKEN=TOKEN)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "release" / "deploy.py"), "--wheel", str(wheel),
         "--notebooks", str(notebooks), "--param", f"outcome={outcome}",
         "--junit", str(junit), "--timeout", "60"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    return proc, junit


def _cases(junit: Path) -> dict[str, bool]:
    return {tc.get("name", ""): tc.find("failure") is None
            for tc in ET.parse(junit).getroot().iter("testcase")}


def _no_jobs_left(emulator: server.EmulatorServer) -> None:
    w = WorkspaceClient(config=Config(host=emulator.url, token=TOKEN, retry_timeout_seconds=20))
    assert list(w.jobs.list()) == []


def test_a_passing_batch_test_releases(emulator: server.EmulatorServer,
                                       artifacts: tuple[Path, Path], tmp_path: Path) -> None:
    proc, junit = release(emulator, artifacts, tmp_path, "pass")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _cases(junit) == {"counts.users": True, "rows.gym_summary": True}
    assert "release: passed" in proc.stdout
    for text in (proc.stdout, proc.stderr, junit.read_text()):
        assert TOKEN not in text
    _no_jobs_left(emulator)


def test_a_failing_batch_test_fails_the_release_and_deletes_the_job(
        emulator: server.EmulatorServer, artifacts: tuple[Path, Path], tmp_path: Path) -> None:
    proc, junit = release(emulator, artifacts, tmp_path, "fail")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "TERMINATED FAILED" in proc.stdout
    cases = _cases(junit)
    assert cases["counts.users"] is True and cases["rows.gym_summary"] is False
    assert cases.get("job.run") is False  # the run's FAILED result state is a case too
    for text in (proc.stdout, proc.stderr, junit.read_text()):
        assert TOKEN not in text
    _no_jobs_left(emulator)


def test_without_credentials_it_says_which_variable(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "DATABRICKS_HOST", "DATABRICKS_TOKEN")}
    wheel = tmp_path / "x.whl"
    wheel.write_bytes(b"")
    proc = subprocess.run([sys.executable, str(ROOT / "release" / "deploy.py"), "--wheel",
                           str(wheel)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0
    assert "DATABRICKS_HOST and DATABRICKS_TOKEN" in proc.stderr


def test_the_report_marker_is_the_notebooks_one() -> None:
    from app.pipeline.batch_check import REPORT_MARKER
    from release import deploy

    assert deploy.REPORT_MARKER == REPORT_MARKER
