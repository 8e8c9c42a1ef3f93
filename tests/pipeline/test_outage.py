"""Azurite stopped and started again under running streams: nothing lost, nothing doubled.

A private Azurite (so the outage hits no other test) stands for ADLS. Every
stream runs with a 1 s trigger; a set lands and once bronze has started on it
Azurite goes away for ``OUTAGE_SECONDS`` (30 by default: set the variable to measure longer
ones) and comes back on the same port with the same data. The streams must
ride it out (or, failing that, resume when started again, which the test
reports as a failure to ride out), then every table must equal the ground
truth. The pipeline lock's lease, renewed every few seconds, must survive an
outage longer than the lease itself.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.pipeline import run, settings
from app.platform.config import LakehouseConfig
from app.platform.errors import PipelineLockedError
from app.platform.lakehouse import Lakehouse
from app.platform.lock import LeaseLock, pipeline_lock
from app.platform.storage import storage_target
from data_generators import Faults, GeneratorSpec
from emulators.azurite import AzuriteProcess, free_port
from lakehouse_local import producer, validate
from lakehouse_local.progress import wait_caught_up
from tests.chaos.processes import isolated_config, wait_for

OUTAGE_SECONDS = float(os.environ.get("OUTAGE_SECONDS", "30"))
# `make test-long` runs these (CI too): each stops and restarts a private Azurite.
pytestmark = [pytest.mark.slow, pytest.mark.long]
SPEC = GeneratorSpec(seed=8, sets=1, scale=0.05, visits_per_user=2, faults=Faults.all_on())


@pytest.fixture
def private_azurite(tmp_path: Path) -> Iterator[AzuriteProcess]:
    process = AzuriteProcess("127.0.0.1", free_port(), tmp_path / "azurite")
    process.start()
    yield process
    process.stop()


def _outage(azurite: AzuriteProcess, seconds: float) -> float:
    down = time.monotonic()
    azurite.stop()
    time.sleep(seconds)
    azurite.start()
    return time.monotonic() - down


def test_streams_ride_out_an_azurite_outage(
    private_azurite: AzuriteProcess, lakehouse_factory  # type: ignore[no-untyped-def]
) -> None:
    lh = lakehouse_factory("azurite", azurite_host=private_azurite.host,
                           azurite_port=private_azurite.port)
    producer.land_history(lh, SPEC)
    queries = run.start_all(lh, "1 second")
    restarted: list[str] = []
    try:
        active = run.active_queries(lh)
        manifest = producer.produce_set(lh, SPEC, 1)
        bronze = active[settings.BRONZE_STREAM]
        assert wait_for(lambda: any(p["numInputRows"] for p in bronze.recentProgress), 600), (
            "bronze never started on set 1")
        # Storage goes while the set is on its way through silver and gold.
        outage = _outage(private_azurite, OUTAGE_SECONDS)
        failed = {name: q for name, q in active.items() if q.exception() is not None}
        if not failed:
            try:
                wait_caught_up(lh, active, 1.0, timeout=600)
            except Exception:
                failed = {name: q for name, q in active.items() if q.exception() is not None}
                if not failed:
                    raise
        if failed:  # the second behaviour the issue allows: stop, then resume on restart
            restarted = sorted(failed)
            run.stop_gracefully(queries)
            queries = run.start_all(lh, "1 second")
            wait_caught_up(lh, run.active_queries(lh), 1.0, timeout=600)
        assert validate.check(lh, manifest) == []
    finally:
        run.stop_gracefully(queries)
    print(f"\noutage of {outage:.0f} s: " + (
        f"streams {restarted} failed, resumed on restart" if restarted
        else "ridden out by the running streams"))
    assert not restarted, f"streams failed during a {outage:.0f} s outage: {restarted}"


def test_pipeline_lock_outlives_an_outage_longer_than_its_lease(
    private_azurite: AzuriteProcess, base_config: LakehouseConfig
) -> None:
    config = isolated_config(base_config.replace(
        storage="azurite", azurite_host=private_azurite.host, azurite_port=private_azurite.port))
    storage_target(config).provision()
    lh = Lakehouse(config)
    lost = threading.Event()
    lease = 15
    lock = pipeline_lock(lh, "stream", duration=lease, on_lost=lambda m: lost.set())
    assert isinstance(lock, LeaseLock)
    with lock:
        renewals = lock.renewals
        _outage(private_azurite, lease + 10)  # the lease expires while storage is away
        deadline = time.monotonic() + 30
        while lock.renewals == renewals and time.monotonic() < deadline:
            time.sleep(0.2)
        assert lock.renewals > renewals and not lost.is_set()
        # Still ours: a second pipeline is refused.
        with pytest.raises(PipelineLockedError, match="another pipeline is running"):
            pipeline_lock(lh, "once").acquire()
    with pipeline_lock(lh, "once"):  # released at the end of the block
        pass
