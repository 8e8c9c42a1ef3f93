"""A file read lists its files on the driver, not in a Spark job of one task per file.

Bronze's file-source micro-batches resolve every file of the batch again in
getBatch; past Spark's default threshold (32 paths) that listing was a job
costing about a second per batch (app/platform/session.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.platform.session import PARALLEL_LISTING_PATHS
from tests.conftest import SPARK_MODE


def test_threshold_is_above_auto_loaders_files_per_batch() -> None:
    from app.platform.autoloader.options import DEFAULT_MAX_FILES_PER_TRIGGER

    assert PARALLEL_LISTING_PATHS > DEFAULT_MAX_FILES_PER_TRIGGER


@pytest.mark.integration
@pytest.mark.skipif(SPARK_MODE == "connect", reason="reads the driver's job tracker")
def test_reading_many_files_runs_no_listing_job(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = []
    for n in range(100):  # well past Spark's default of 32 paths
        f = tmp_path / f"part-{n:03d}.txt"
        f.write_text(f"line {n}\n")
        files.append(str(f))
    sc = spark.sparkContext
    group = "test-file-listing"
    sc.setJobGroup(group, "resolve a read of 100 files")
    try:
        df = spark.read.schema("value STRING").text(files)  # lists the files now
        listing_jobs = list(sc.statusTracker().getJobIdsForGroup(group))
    finally:
        sc._jsc.clearJobGroup()  # the shared session's later jobs belong to no group
    assert listing_jobs == []
    assert df.count() == 100  # and the read still finds every file
