"""Run a notebook in Databricks source format as a local process (local room).

A source-format notebook starts with ``# Databricks notebook source`` and
separates cells with ``# COMMAND ----------``; ``# MAGIC`` cells (markdown)
are skipped. Cells run in order in one namespace holding the two Databricks
globals ``spark`` (built on first use by the adapter's session factory, so a
notebook that never touches it starts no JVM) and ``dbutils`` (the stand-in).

    python -m emulators.databricks.notebook notebooks/run.py \
        --param environment=dev --param run_type=once

Outcome: ``dbutils.notebook.exit(value)`` is SUCCESS with ``value`` as the
result; reaching the end is SUCCESS with no result; an exception is FAILED,
with its message and trace. With ``--result FILE`` the outcome is written there
as JSON (the REST emulator reads it); the exit status is 0 for SUCCESS, 1 else.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulators.databricks.dbutils import DBUtils, NotebookExit

HEADER = "# Databricks notebook source"
SEPARATOR = "# COMMAND ----------"
ROOT = Path(__file__).resolve().parents[2]


class NotNotebookSource(ValueError):
    """The file is not a notebook in Databricks source format."""


def cells(text: str) -> list[str]:
    """The Python cells of a source-format notebook (MAGIC cells left out)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != HEADER:
        raise NotNotebookSource(f"first line must be {HEADER!r}")
    found: list[list[str]] = [[]]
    for line in lines[1:]:
        if line.strip() == SEPARATOR:
            found.append([])
        else:
            found[-1].append(line)
    out = []
    for cell in found:
        code = [ln for ln in cell if ln.strip()]
        if code and all(ln.startswith("# MAGIC") for ln in code):
            continue
        out.append("\n".join(cell))
    return out


class LazySpark:
    """The ``spark`` global: the adapter's session, built on first use."""

    def __init__(self) -> None:
        self._session: Any = None

    def _get(self) -> Any:
        if self._session is None:
            from app.platform.config import load_config
            from app.platform.session import build_session

            self._session = build_session(load_config(), app_name="notebook")
        return self._session

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)


@dataclass
class NotebookResult:
    state: str  # SUCCESS, FAILED, TIMEDOUT, CANCELED
    exit_value: str | None = None
    error: str | None = None
    error_trace: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def execute(path: Path, parameters: dict[str, str], *, workspace_root: Path | None = None,
            display_name: str | None = None) -> NotebookResult:
    """Run the notebook in this process."""
    code = cells(path.read_text())
    dbutils = DBUtils(parameters, notebook_path=path, workspace_root=workspace_root)
    namespace: dict[str, Any] = {"__name__": "__main__", "spark": LazySpark(),
                                 "dbutils": dbutils, "display": print}
    name = display_name or str(path)
    try:
        for i, cell in enumerate(code, 1):
            exec(compile(cell, f"{name} (cell {i})", "exec"), namespace)  # noqa: S102
    except NotebookExit as done:
        return NotebookResult("SUCCESS", exit_value=done.value)
    except BaseException as exc:  # a notebook's failure is its result
        return NotebookResult("FAILED", error=f"{type(exc).__name__}: {exc}",
                              error_trace=traceback.format_exc())
    return NotebookResult("SUCCESS")


class NotebookProcess:
    """One notebook run as a child process in its own process group (cancellable)."""

    def __init__(self, path: Path, parameters: dict[str, str], *, env: dict[str, str],
                 workspace_root: Path | None = None, python_path: list[str] | None = None,
                 log_file: Path | None = None, display_name: str | None = None) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="notebook-run-"))
        self.result_file = self._dir / "result.json"
        params_file = self._dir / "params.json"
        params_file.write_text(json.dumps(parameters))
        child_env = dict(env)
        paths = [*(python_path or []), str(ROOT)]
        child_env["PYTHONPATH"] = os.pathsep.join(paths)
        cmd = [sys.executable, "-m", "emulators.databricks.notebook", str(path),
               "--params-json", str(params_file), "--result", str(self.result_file)]
        if workspace_root is not None:
            cmd += ["--workspace-root", str(workspace_root)]
        if display_name:
            cmd += ["--name", display_name]
        out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, env=child_env, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        if log_file:
            out.close()  # type: ignore[union-attr]
        self.killed_as: str | None = None

    def kill(self, state: str) -> None:
        """End the whole process group (Spark's JVM included); the run ends as ``state``."""
        self.killed_as = state
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def wait(self, timeout_seconds: float | None = None) -> NotebookResult:
        try:
            self.proc.wait(timeout=timeout_seconds)
        except subprocess.TimeoutExpired:
            self.kill("TIMEDOUT")
            self.proc.wait()
        try:
            if self.killed_as:
                return NotebookResult(self.killed_as, error=f"run {self.killed_as.lower()}")
            if self.result_file.exists():
                return NotebookResult(**json.loads(self.result_file.read_text()))
            return NotebookResult("FAILED", error=f"notebook process exited with "
                                                  f"status {self.proc.returncode} and no result")
        finally:
            for f in self._dir.iterdir():
                f.unlink()
            self._dir.rmdir()


def run_notebook_process(path: Path, parameters: dict[str, str], *, env: dict[str, str],
                         workspace_root: Path | None = None,
                         timeout_seconds: float | None = None) -> NotebookResult:
    """``dbutils.notebook.run``: the notebook in a child process; waits for its outcome."""
    return NotebookProcess(path, parameters, env=env,
                           workspace_root=workspace_root).wait(timeout_seconds)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m emulators.databricks.notebook",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("notebook", type=Path)
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="a widget value (repeatable)")
    p.add_argument("--params-json", type=Path, help="widget values as a JSON object")
    p.add_argument("--workspace-root", type=Path, help="folder that holds /Workspace paths")
    p.add_argument("--result", type=Path, help="write the outcome here as JSON")
    p.add_argument("--name", help="the notebook's workspace path, for traces")
    args = p.parse_args(argv)
    params: dict[str, str] = {}
    if args.params_json:
        params.update(json.loads(args.params_json.read_text()))
    for item in args.param:
        name, _, value = item.partition("=")
        params[name] = value
    result = execute(args.notebook, params, workspace_root=args.workspace_root,
                     display_name=args.name)
    if args.result:
        args.result.write_text(json.dumps(result.as_dict()))
    else:
        if result.exit_value is not None:
            print(result.exit_value)
        if result.error_trace:
            print(result.error_trace, file=sys.stderr)
    sys.stdout.flush()
    return 0 if result.state == "SUCCESS" else 1


if __name__ == "__main__":
    sys.exit(main())
