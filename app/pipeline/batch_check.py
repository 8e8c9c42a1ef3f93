"""The batch test as the deployable package runs it (the batch-test notebook).

Locally `lakehouse batch-test` generates each set, lands it, runs the pipeline
and compares with the generator's ground truth. On a workspace the generator
is not deployed, so the data and its ground truth are landed beforehand (the
data zone's ``raw/``, ``test_data/`` and ``ground_truth/set-NNNN.json``, as
`lakehouse produce` writes them), and this module:

1. optionally starts fresh (drops the schema and the checkpoints, keeps the
   landed data);
2. runs the pipeline once (every layer, available-now triggers);
3. checks the DDL, the date lookup, and every table against the newest
   (cumulative) ground-truth manifest found in the data zone.

Each check is one case of the report (and one JUnit test case in the release
flow). The report is JSON so that ``dbutils.notebook.exit`` can return it.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from app.pipeline import ddl, history, run, settings, verify

if TYPE_CHECKING:
    from app.platform.lakehouse import Lakehouse

MANIFESTS = "ground_truth"
REPORT_MARKER = "BATCH_TEST_REPORT="


@dataclass
class Case:
    name: str
    ok: bool
    message: str = ""
    seconds: float = 0.0


@dataclass
class Report:
    environment: str
    database: str
    cases: list[Case] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.cases) and all(c.ok for c in self.cases)

    def failures(self) -> list[Case]:
        return [c for c in self.cases if not c.ok]

    def to_json(self) -> str:
        return json.dumps({"environment": self.environment, "database": self.database,
                           "ok": self.ok, "cases": [asdict(c) for c in self.cases]})

    def summary(self) -> str:
        bad = self.failures()
        head = (f"batch test {'passed' if self.ok else 'FAILED'}: "
                f"{len(self.cases) - len(bad)} of {len(self.cases)} checks passed")
        return "\n".join([head, *(f"  {c.name}: {c.message}" for c in bad)])


def latest_manifest(lh: Lakehouse) -> dict[str, Any] | None:
    """The newest ground-truth manifest in the data zone (manifests are cumulative)."""
    zone = lh.store("data_zone")
    names = sorted(p for p in zone.list(f"{MANIFESTS}/") if p.endswith(".json"))
    return json.loads(zone.get_bytes(names[-1])) if names else None


def start_fresh(lh: Lakehouse) -> None:
    """Drop the schema and the checkpoints; the landed data and ground truth stay."""
    lh.drop_schema()
    lh.store("checkpoint").delete_prefix("checkpoints/")


def _case(report: Report, name: str, check: Callable[[], str | list[str] | None]) -> bool:
    began = time.perf_counter()
    try:
        outcome = check()
        if isinstance(outcome, list):
            ok, message = not outcome, "; ".join(outcome)
        else:
            ok, message = True, outcome or ""
    except Exception as exc:  # a check's failure is a failed case, not the end of the test
        ok, message = False, f"{type(exc).__name__}: {exc}"
        if not str(exc):
            message += "\n" + traceback.format_exc(limit=3)
    report.cases.append(Case(name, ok, message, round(time.perf_counter() - began, 3)))
    return ok


def batch_test(lh: Lakehouse, fresh: bool = True) -> Report:
    """Run the pipeline once over the landed data, then every check; never raises for a check."""
    report = Report(lh.config.environment, lh.database)
    if fresh:
        _case(report, "setup.start_fresh", lambda: start_fresh(lh))
    if _case(report, "pipeline.run_once",
             lambda: ", ".join(f"{k} {v:.1f}s" for k, v in run.run_once(lh).items())):
        check_tables(lh, report)
    return report


def check_tables(lh: Lakehouse, report: Report | None = None) -> Report:
    """The checks alone: DDL, date lookup, and every table against the newest manifest."""
    report = report or Report(lh.config.environment, lh.database)
    manifest = latest_manifest(lh)
    _case(report, "setup.tables_and_views", lambda: ddl.validate(lh))
    _case(report, "history.date_lookup", lambda: f"{history.validate_history(lh)} days")
    if not _case(report, "ground_truth.present", lambda: _has(manifest)):
        return report
    assert manifest is not None
    counts = verify.table_counts(lh)
    for table in verify.COUNTED:
        want = manifest["counts"].get(table)
        if want is None:
            continue
        _case(report, f"counts.{table}", lambda t=table, n=want: (  # type: ignore[misc]
            [] if counts.get(t) == n else [f"{counts.get(t)} rows, ground truth {n}"]))
    got = verify.actual_rows(lh)
    for name, keys in (("completed_workouts", verify.COMPLETED),
                       ("workout_bpm_summary", verify.SUMMARY),
                       ("gym_summary", verify.GYM)):
        _case(report, f"rows.{name}", lambda n=name, k=keys: verify._diff(  # type: ignore[misc]
            n, verify._rows(manifest["rows"][n], k), verify._rows(got[n], k)))
    _case(report, f"rows.{settings.QUARANTINE}", lambda: verify.check_quarantine(lh, manifest))
    return report


def _has(manifest: dict[str, Any] | None) -> str:
    if manifest is None:
        raise LookupError(f"no {MANIFESTS}/set-NNNN.json in the data zone: land test data "
                          "and its ground truth first (locally: lakehouse produce)")
    return f"set {manifest.get('set')}"
