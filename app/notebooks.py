"""What the notebooks in ``notebooks/`` call: widgets in, one result string out.

Deployable. A notebook passes its ``dbutils`` global; nothing here imports a
Databricks module, so the same code runs on a cluster and under the local
stand-in (``emulators/databricks/dbutils.py``).

Widgets (all text, so job parameters of any value reach them):

| widget | meaning | default |
|---|---|---|
| ``environment`` | the catalog: dev, sit, qa, prod | ``LAKEHOUSE_ENV`` or dev |
| ``run_type`` | once or stream (``run.py``) | once |
| ``processing_time`` | the stream trigger | ``LAKEHOUSE_PROCESSING_TIME`` or 5 seconds |
| ``fresh`` | batch and stream tests: drop schema and checkpoints first | true |
| ``max_seconds`` | stream test: longest wait for the streams | 900 |
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from app.pipeline.batch_check import REPORT_MARKER, Report

WIDGETS = ("environment", "run_type", "processing_time")


class BatchTestFailed(AssertionError):
    """Some checks failed; the message holds the summary and the JSON report."""


def widget_values(dbutils: Any, **extra: str) -> dict[str, str]:
    """Declare the three widgets (and ``extra`` ones with defaults) and read them."""
    defaults = {"environment": os.environ.get("LAKEHOUSE_ENV", "dev"), "run_type": "once",
                "processing_time": os.environ.get("LAKEHOUSE_PROCESSING_TIME", "5 seconds"),
                **{k: str(v) for k, v in extra.items()}}
    for name, default in defaults.items():
        dbutils.widgets.text(name, default)
    return {name: dbutils.widgets.get(name) for name in defaults}


def _lakehouse(values: dict[str, str]) -> Any:
    from app.platform.config import load_config
    from app.platform.lakehouse import Lakehouse

    lh = Lakehouse(load_config(environment=values["environment"],
                               processing_time=values["processing_time"]))
    lh.target.provision()
    return lh


def run_pipeline(values: dict[str, str]) -> str:
    """``python -m app.pipeline <run_type> --env ... --processing-time ...``; raises on failure."""
    from app.pipeline.__main__ import main

    status = main([values["run_type"], "--env", values["environment"],
                   "--processing-time", values["processing_time"]])
    if status != 0:
        raise RuntimeError(f"the pipeline's {values['run_type']} run ended with status {status}")
    return json.dumps({"run_type": values["run_type"], "environment": values["environment"],
                       "status": status})


def _finish(report: Report) -> str:
    print(report.summary())
    if not report.ok:
        raise BatchTestFailed(f"{report.summary()}\n{REPORT_MARKER}{report.to_json()}")
    return report.to_json()


def batch_test(values: dict[str, str]) -> str:
    """The batch test; returns the JSON report, raises BatchTestFailed when a check fails."""
    from app.pipeline import batch_check
    from app.platform.lock import pipeline_lock

    lh = _lakehouse(values)
    with pipeline_lock(lh, "batch-test"):
        report = batch_check.batch_test(lh, fresh=values.get("fresh", "true").lower() == "true")
    return _finish(report)


def stream_test(values: dict[str, str]) -> str:
    """Streams until the landed data is in (or ``max_seconds``), then the batch test's checks."""
    from app.pipeline import batch_check, run
    from app.platform.lock import pipeline_lock

    lh = _lakehouse(values)
    with pipeline_lock(lh, "stream-test"):
        if values.get("fresh", "true").lower() == "true":
            batch_check.start_fresh(lh)
        queries = run.start_all(lh, values["processing_time"])
        deadline = time.monotonic() + float(values.get("max_seconds", "900"))
        idle = 0
        while time.monotonic() < deadline and idle < 3:
            time.sleep(5)
            for q in queries:  # the started ones: a stream that died is no longer active
                if q.exception() is not None:
                    raise RuntimeError(f"stream {q.name} failed: {q.exception()}")
                if not q.isActive:
                    raise RuntimeError(f"stream {q.name} stopped")
            busy = [q for q in queries if q.status.get("isDataAvailable")
                    or _input_rows(q.lastProgress) != 0]
            idle = idle + 1 if not busy else 0
        run.stop_gracefully(list(run.active_queries(lh).values()))
        report = batch_check.check_tables(lh)
    return _finish(report)


def _input_rows(progress: dict[str, Any] | None) -> int:
    """Rows of a query's last micro-batch; -1 before its first one."""
    return -1 if not progress else int(progress.get("numInputRows") or 0)
