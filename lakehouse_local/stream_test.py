"""The stream test (a CI/CD entry point): the pipeline running continuously while sets land.

clean up -> land the history -> start every stream (processing-time trigger)
-> for each set: produce it, wait until the streams have caught up (watching
their progress, never a fixed sleep), validate every layer against the ground
truth -> stop the streams -> clean up.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from app.pipeline import ddl, history, run
from lakehouse_local import producer
from lakehouse_local.batch_test import BatchTestReport, validate_set
from lakehouse_local.progress import wait_caught_up

if TYPE_CHECKING:
    from app.platform.lakehouse import Lakehouse
    from data_generators import GeneratorSpec


def trigger_seconds(processing_time: str) -> float:
    """'5 seconds' -> 5.0, '1 second' -> 1.0, '500 milliseconds' -> 0.5."""
    value, _, unit = processing_time.strip().partition(" ")
    scale = {"ms": 0.001, "millisecond": 0.001, "milliseconds": 0.001, "minute": 60.0,
             "minutes": 60.0}.get(unit.strip().lower(), 1.0)
    return float(value) * scale


def stream_test(
    lh: Lakehouse,
    spec: GeneratorSpec,
    processing_time: str = "1 second",
    timeout: float = 600.0,
    keep: bool = False,
) -> BatchTestReport:
    """Run the stream test; raises PipelineCheckFailed when a set differs from the truth."""
    report = BatchTestReport()
    began = time.perf_counter()
    ddl.cleanup(lh)
    producer.land_history(lh, spec)
    queries = run.start_all(lh, processing_time)
    try:
        ddl.validate(lh)
        history.validate_history(lh)
        active = run.by_stream(lh, queries)
        for n in range(1, spec.sets + 1):
            manifest: dict[str, Any] = producer.produce_set(lh, spec, n)
            waited = wait_caught_up(lh, active, trigger_seconds(processing_time), timeout)
            validate_set(lh, manifest)
            report.sets.append({"set": n, "counts": manifest["counts"], "caught_up_s": waited})
    finally:
        run.stop_gracefully(queries)
    if not keep:
        ddl.cleanup(lh)
    report.seconds = time.perf_counter() - began
    return report
