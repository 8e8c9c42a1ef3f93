"""`python -m lakehouse_local.spark_archive`: build the Spark driver's class-data archive once.

A scratch run of the pipeline (a tiny generated set, run once, on plain local
folders under ``.lakehouse/cds/``) loads the classes every start needs; its
JVM writes them to the archive as it exits (``-XX:ArchiveClassesAtExit``).
The archive is written under a temporary name and renamed when complete, so
a run cut short leaves no half archive behind. See app/platform/class_archive.py.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from app.platform import class_archive
from app.platform.config import LakehouseConfig, load_config

# A JVM writing a ~150 MB archive on two busy cores: give it time.
EXIT_TIMEOUT = 300.0


def warm_up(config: LakehouseConfig, scratch: Path, archive_to: Path) -> None:
    """Run the pipeline once on a tiny set in a Spark whose JVM archives its classes at exit."""
    from pyspark import SparkContext

    from app.pipeline import run
    from app.platform.lakehouse import Lakehouse
    from app.platform.session import build_session
    from data_generators import GeneratorSpec
    from lakehouse_local import producer

    local = config.replace(storage="local", home=str(scratch), schema="cds_warm_up")
    lh = Lakehouse(local)
    lh.target.provision()
    spark = build_session(local, app_name="class-archive", archive_to=archive_to)
    lh = Lakehouse(local, spark)
    spec = GeneratorSpec(seed=1, sets=1, scale=0.01, visits_per_user=1)
    producer.land_history(lh, spec)
    producer.produce_set(lh, spec, 1)
    run.run_once(lh)
    gateway = SparkContext._gateway
    spark.stop()
    # The JVM writes the archive while it exits, after Python lets go of it.
    proc = getattr(gateway, "proc", None)
    if gateway is not None:
        gateway.shutdown()
    if proc is not None:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=EXIT_TIMEOUT)


def build(config: LakehouseConfig, force: bool = False) -> Path | None:
    """Build the archive for this Java + jars unless it exists; returns its path."""
    path = class_archive.archive_path(config)
    if path is None:
        print("class archive: no java found; skipped")
        return None
    if path.is_file() and not force:
        print(f"class archive: {path} is up to date")
        return path
    print("class archive: building Spark's class-data archive once (a scratch pipeline run, "
          "a minute or more on two cores) ...", flush=True)
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{path.name}.{os.getpid()}"
    scratch = folder / f"warm-up-{os.getpid()}"
    began = time.monotonic()
    try:
        warm_up(config, scratch, partial)
        if not partial.is_file():
            print("class archive: the JVM wrote no archive; Spark starts without one")
            return None
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(scratch, ignore_errors=True)
    for old in folder.glob("driver-*.jsa"):  # archives of earlier Java or jar versions
        if old != path:
            old.unlink(missing_ok=True)
    print(f"class archive: built {path} in {time.monotonic() - began:.0f}s")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakehouse_local.spark_archive",
                                     description=__doc__)
    parser.add_argument("--force", action="store_true", help="build again even if up to date")
    args = parser.parse_args(argv)
    try:
        build(load_config(), force=args.force)
    except Exception as exc:  # the one translation of errors at entry points
        from app.platform.errors import exit_status

        return exit_status(exc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
