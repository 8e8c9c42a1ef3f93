"""Deploy the notebooks and the wheel to a workspace, run the batch-test job, report as JUnit.

The release stage's deploy step. It talks to the workspace only through
databricks-sdk, authenticated by DATABRICKS_HOST and DATABRICKS_TOKEN, so the
same script runs against a real workspace and against the local emulator
(``python -m emulators.databricks up``); nothing else differs.

1. import every notebook of ``--notebooks`` into ``--workspace-dir`` (source
   format, overwritten) and upload the wheel to ``--wheel-dir`` (Files API);
2. create the job: one notebook task (``--notebook``, default ``batch_test``)
   with the widgets environment / run_type / processing_time as parameters, the
   wheel as a library, on a new job cluster (or ``--existing-cluster-id``)
   whose environment variables are ``--cluster-env NAME=VALUE``;
3. run it now and wait until it ends, then check the result state (the SDK's
   wait returns on TERMINATED whatever the result);
4. fetch the task's output (``dbutils.notebook.exit``: the batch test's JSON
   report; on failure the error, which carries the report too);
5. delete the job, whatever happened;
6. write JUnit XML (one test case per check of the report) and exit 0 only if
   the run succeeded and every check passed.

The token is never printed: neither the configuration nor request headers
are logged, and errors are reported by type and message only.

    DATABRICKS_HOST=https://adb-....azuredatabricks.net DATABRICKS_TOKEN=... \
    python release/deploy.py --wheel dist/lakehouse_sim-0.1.0-py3-none-any.whl --environment dev
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

REPORT_MARKER = "BATCH_TEST_REPORT="  # = app.pipeline.batch_check.REPORT_MARKER (tested)
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Outcome:
    """What the release learned: the run's end, the report's cases, the reasons it failed."""

    life_cycle_state: str = ""
    result_state: str = ""
    state_message: str = ""
    run_url: str = ""
    cases: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (self.result_state == "SUCCESS" and not self.errors and bool(self.cases)
                and all(c.get("ok") for c in self.cases))


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python release/deploy.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--wheel", type=Path, required=True, help="the build's wheel")
    p.add_argument("--notebooks", type=Path, default=ROOT / "notebooks",
                   help="folder of source-format notebooks to import")
    p.add_argument("--notebook", default="batch_test", help="the notebook the job runs")
    p.add_argument("--environment", default="dev", help="widget environment (the catalog)")
    p.add_argument("--run-type", default="once", help="widget run_type")
    p.add_argument("--processing-time", default="5 seconds", help="widget processing_time")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="another notebook parameter (repeatable)")
    p.add_argument("--workspace-dir", default=None,
                   help="notebooks go here (default /Workspace/Shared/lakehouse-sim/ENV)")
    p.add_argument("--wheel-dir", default=None,
                   help="the wheel goes here (default /Volumes/ENV/fitness/artifacts/wheels)")
    p.add_argument("--job-name", default=None, help="default lakehouse-sim-NOTEBOOK-ENV")
    p.add_argument("--existing-cluster-id", default=os.environ.get("DATABRICKS_CLUSTER_ID"))
    p.add_argument("--spark-version", default="16.4.x-scala2.12")
    p.add_argument("--node-type", default="Standard_D4ds_v5")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--cluster-env", action="append", default=[], metavar="NAME=VALUE",
                   help="environment variable of the job cluster (repeatable), e.g. "
                        "LAKEHOUSE_STORAGE=adls or AZURE_STORAGE_KEY={{secrets/scope/key}}")
    p.add_argument("--timeout", type=int, default=3600, help="job timeout, seconds")
    p.add_argument("--junit", type=Path, default=Path("build/release-junit.xml"))
    return p.parse_args(argv)


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"error: {flag} wants NAME=VALUE, got {name or item!r}")
        out[name] = value
    return out


def client() -> Any:
    """A WorkspaceClient from DATABRICKS_HOST and DATABRICKS_TOKEN (checked, never printed)."""
    missing = [v for v in ("DATABRICKS_HOST", "DATABRICKS_TOKEN") if not os.environ.get(v)]
    if missing:
        raise SystemExit(f"error: set {' and '.join(missing)}")
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.core import Config

    return WorkspaceClient(config=Config(host=os.environ["DATABRICKS_HOST"],
                                         token=os.environ["DATABRICKS_TOKEN"],
                                         auth_type="pat", retry_timeout_seconds=120))


def deploy(w: Any, args: argparse.Namespace) -> tuple[str, str]:
    """Import the notebooks and upload the wheel; returns (notebook path, wheel path)."""
    from databricks.sdk.service.workspace import ImportFormat, Language

    folder = args.workspace_dir or f"/Workspace/Shared/lakehouse-sim/{args.environment}"
    w.workspace.mkdirs(folder)
    notebooks = sorted(args.notebooks.glob("*.py"))
    if not notebooks:
        raise SystemExit(f"error: no notebooks in {args.notebooks}")
    for nb in notebooks:
        w.workspace.import_(f"{folder}/{nb.stem}", format=ImportFormat.SOURCE,
                            language=Language.PYTHON, overwrite=True,
                            content=base64.b64encode(nb.read_bytes()).decode())
    print(f"imported {len(notebooks)} notebooks into {folder}")
    wheel_dir = args.wheel_dir or f"/Volumes/{args.environment}/fitness/artifacts/wheels"
    wheel = f"{wheel_dir.rstrip('/')}/{args.wheel.name}"
    with open(args.wheel, "rb") as fh:
        w.files.upload(wheel, fh, overwrite=True)
    print(f"uploaded {args.wheel.name} to {wheel_dir}")
    return f"{folder}/{args.notebook}", wheel


def create_job(w: Any, args: argparse.Namespace, notebook: str, wheel: str) -> int:
    from databricks.sdk.service import compute, jobs

    params = {"environment": args.environment, "run_type": args.run_type,
              "processing_time": args.processing_time, **_pairs(args.param, "--param")}
    task = jobs.Task(
        task_key=args.notebook,
        notebook_task=jobs.NotebookTask(notebook_path=notebook, base_parameters=params),
        libraries=[compute.Library(whl=wheel)],
        timeout_seconds=args.timeout,
    )
    if args.existing_cluster_id:
        task.existing_cluster_id = args.existing_cluster_id
    else:
        task.new_cluster = compute.ClusterSpec(
            spark_version=args.spark_version, node_type_id=args.node_type,
            num_workers=args.workers,
            spark_env_vars=_pairs(args.cluster_env, "--cluster-env") or None)
    name = args.job_name or f"lakehouse-sim-{args.notebook}-{args.environment}"
    job_id = int(w.jobs.create(name=name, tasks=[task], timeout_seconds=args.timeout,
                               max_concurrent_runs=1).job_id)
    print(f"created job {job_id} ({name})")
    return job_id


def run_and_collect(w: Any, job_id: int, timeout: int, outcome: Outcome) -> None:
    from databricks.sdk.errors import OperationFailed

    run_id = w.jobs.run_now(job_id).run_id
    print(f"started run {run_id}; waiting (at most {timeout} s)")
    try:
        w.jobs.wait_get_run_job_terminated_or_skipped(
            run_id, timeout=timedelta(seconds=timeout + 600))
    except OperationFailed:
        pass  # INTERNAL_ERROR and the like: the run's state below says why
    run = w.jobs.get_run(run_id)
    state = run.state
    outcome.life_cycle_state = _name(state.life_cycle_state)
    outcome.result_state = _name(state.result_state)
    outcome.state_message = state.state_message or ""
    outcome.run_url = run.run_page_url or ""
    print(f"run {run_id}: {outcome.life_cycle_state} {outcome.result_state} "
          f"{outcome.state_message}".rstrip())
    task_run = (run.tasks or [None])[0]
    if task_run is None or task_run.run_id is None:
        outcome.errors.append("the run has no task run to read the output of")
        return
    output = w.jobs.get_run_output(task_run.run_id)
    result = output.notebook_output.result if output.notebook_output else None
    report = _report(result) or _report(output.error)
    if report is not None:
        outcome.cases = list(report.get("cases", []))
    if outcome.result_state != "SUCCESS":
        outcome.errors.append(output.error or outcome.state_message
                              or f"run ended {outcome.life_cycle_state}")
    elif report is None:
        outcome.errors.append("the notebook exited without a batch-test report")


def _name(value: Any) -> str:
    return "" if value is None else str(getattr(value, "value", value))


def _report(text: str | None) -> dict[str, Any] | None:
    """The JSON report in a notebook's exit value, or after the marker in its error."""
    if not text:
        return None
    if REPORT_MARKER in text:
        text = text.split(REPORT_MARKER, 1)[1]
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("cases"), list) else None


def write_junit(path: Path, outcome: Outcome, suite: str) -> None:
    cases = list(outcome.cases)
    if outcome.errors or not cases:
        cases.append({"name": "job.run", "ok": not outcome.errors and bool(cases),
                      "message": "; ".join(outcome.errors) or "no checks reported",
                      "seconds": outcome.seconds})
    failures = sum(1 for c in cases if not c.get("ok"))
    root = ET.Element("testsuites")
    ts = ET.SubElement(root, "testsuite", name=suite, tests=str(len(cases)),
                       failures=str(failures), errors="0", time=f"{outcome.seconds:.3f}")
    props = ET.SubElement(ts, "properties")
    for k in ("life_cycle_state", "result_state", "run_url"):
        ET.SubElement(props, "property", name=k, value=str(getattr(outcome, k)))
    for c in cases:
        tc = ET.SubElement(ts, "testcase", classname=suite, name=str(c.get("name")),
                           time=f"{float(c.get('seconds') or 0):.3f}")
        if not c.get("ok"):
            ET.SubElement(tc, "failure", message=str(c.get("message", ""))[:500]).text = str(
                c.get("message", ""))
        elif c.get("message"):
            ET.SubElement(tc, "system-out").text = str(c["message"])
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if not args.wheel.is_file():
        raise SystemExit(f"error: no wheel at {args.wheel}")
    w = client()
    began = time.monotonic()
    outcome = Outcome()
    job_id = None
    try:
        notebook, wheel = deploy(w, args)
        job_id = create_job(w, args, notebook, wheel)
        run_and_collect(w, job_id, args.timeout, outcome)
    except Exception as exc:  # reported in JUnit and below; the job is still deleted
        outcome.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        if job_id is not None:
            try:
                w.jobs.delete(job_id)
                print(f"deleted job {job_id}")
            except Exception as exc:  # a job left behind fails the release too
                outcome.errors.append(f"could not delete job {job_id}: {type(exc).__name__}")
    outcome.seconds = time.monotonic() - began
    write_junit(args.junit, outcome, f"{args.notebook}[{args.environment}]")
    passed = sum(1 for c in outcome.cases if c.get("ok"))
    print(f"{args.notebook}: {passed} of {len(outcome.cases)} checks passed; "
          f"JUnit in {args.junit}")
    for c in outcome.cases:
        if not c.get("ok"):
            print(f"  FAILED {c.get('name')}: {str(c.get('message'))[:300]}")
    for e in outcome.errors:
        print(f"  error: {e[:1000]}")
    print("release: " + ("passed" if outcome.ok else "FAILED"))
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
