"""The batch test (a CI/CD entry point): the pipeline run once per set, checked against truth.

clean up -> land the history -> run once -> validate setup and history ->
for each set: produce it, run once, validate every layer against the
generator's ground truth -> clean up.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.pipeline import ddl, history, run
from app.platform.errors import LakehouseError
from lakehouse_local import producer, validate

if TYPE_CHECKING:
    from app.platform.lakehouse import Lakehouse
    from data_generators import GeneratorSpec

log = logging.getLogger(__name__)


class PipelineCheckFailed(LakehouseError):
    """Tables differ from the ground truth; the message lists every difference."""


@dataclass
class BatchTestReport:
    seconds: float = 0.0
    layer_seconds: dict[str, float] = field(default_factory=dict)
    sets: list[dict[str, Any]] = field(default_factory=list)


def validate_set(lh: Lakehouse, manifest: dict[str, Any]) -> None:
    """Raises PipelineCheckFailed listing every table that differs from ``manifest``."""
    problems = validate.check(lh, manifest)
    if problems:
        raise PipelineCheckFailed(
            f"set {manifest['set']}: {len(problems)} differences from the ground truth:\n  "
            + "\n  ".join(problems)
        )


def batch_test(lh: Lakehouse, spec: GeneratorSpec, keep: bool = False) -> BatchTestReport:
    """Run the batch test; raises PipelineCheckFailed on the first set that differs.

    Args:
        lh: where to run (its schema, landing data and checkpoints are wiped first).
        spec: the generated sets (``spec.sets`` of them).
        keep: leave the tables in place at the end (for inspection).
    """
    report = BatchTestReport()
    began = time.perf_counter()
    ddl.cleanup(lh)
    producer.land_history(lh, spec)
    _add(report, run.run_once(lh))
    ddl.validate(lh)
    history.validate_history(lh)
    for n in range(1, spec.sets + 1):
        manifest = producer.produce_set(lh, spec, n)
        _add(report, run.run_once(lh))
        validate_set(lh, manifest)
        report.sets.append({"set": n, "counts": manifest["counts"]})
        log.info("batch test: set %d matches the ground truth", n)
    if not keep:
        ddl.cleanup(lh)
    report.seconds = time.perf_counter() - began
    return report


def _add(report: BatchTestReport, timings: dict[str, float]) -> None:
    for k, v in timings.items():
        report.layer_seconds[k] = report.layer_seconds.get(k, 0.0) + v
