"""Azurite stopped and started again under a running stream: nothing lost, nothing doubled.

The stream runs as a real process against a private Azurite this test starts
(so the outage hits no other test). Set 1 is processed, set 2 lands, Azurite
goes away for ``OUTAGE_SECONDS`` (30 by default; set the variable to measure
longer ones), comes back on the same port with the same data, and the stream
must either ride it out or stop with a message that says what happened; a
restart then resumes. ``once`` drains, and every table is compared with the
ground truth.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.pipeline import producer, validate
from app.platform.config import LakehouseConfig
from app.platform.lakehouse import Lakehouse
from app.platform.storage import storage_target
from data_generators import Faults, GeneratorSpec
from emulators.azurite import AzuriteProcess, free_port
from tests.chaos.processes import child_env, isolated_config, pipeline, run_pipeline, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OUTAGE_SECONDS = float(os.environ.get("OUTAGE_SECONDS", "30"))
SPEC = GeneratorSpec(seed=8, sets=2, scale=0.05, visits_per_user=2, faults=Faults.all_on())


@pytest.fixture
def private_azurite(tmp_path: Path) -> Iterator[AzuriteProcess]:
    process = AzuriteProcess("127.0.0.1", free_port(), tmp_path / "azurite")
    process.start()
    yield process
    process.stop()


def _commits(lh: Lakehouse, table: str) -> int:
    names = lh.store("checkpoint").list(f"checkpoints/{table}/commits/")
    return len([n for n in names if n.rsplit("/", 1)[-1].isdigit()])


def test_stream_rides_out_an_azurite_outage(
    private_azurite: AzuriteProcess, base_config: LakehouseConfig, tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    config = isolated_config(base_config.replace(
        storage="azurite", azurite_host=private_azurite.host, azurite_port=private_azurite.port))
    storage_target(config).provision()
    lh = Lakehouse(config)  # storage only: no Spark in this process until the end
    producer.land_history(lh, SPEC)
    producer.produce_set(lh, SPEC, 1)
    env = child_env(config)
    stream = pipeline("stream", "--no-live", "--no-producer", "--processing-time", "1 second",
                      env=env, log=tmp_path / "stream.log")
    restarted = False
    try:
        assert wait_for(lambda: _commits(lh, "workout_bpm_summary") >= 1, 600, 1.0, stream), (
            f"set 1 never reached gold:\n{stream.output()[-3000:]}")
        producer.produce_set(lh, SPEC, 2)  # lands, then storage goes away under its batches
        time.sleep(2)
        before = {t: _commits(lh, t) for t in ("kafka_multiplex_bz", "workout_bpm_summary")}
        private_azurite.stop()
        down = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        private_azurite.start()
        outage = time.monotonic() - down
        # Ride-out: the same process commits new batches once storage answers again.
        rode_out = wait_for(
            lambda: all(_commits(lh, t) > n for t, n in before.items()), 600, 1.0, stream)
        if not rode_out:
            assert not stream.alive(), "the stream neither resumed nor stopped"
            text = stream.output()
            assert "error" in text.lower() and ("storage" in text.lower() or "azurite" in text
                                                 .lower()), text[-3000:]
            restarted = True
    finally:
        stream.kill_group()
    status, text = run_pipeline("once", env=env, log=tmp_path / "drain.log")
    assert status == 0, text[-3000:]
    spark = request.getfixturevalue("spark")
    checked = Lakehouse(config, spark)
    problems = validate.check(checked, producer.latest_manifest(checked) or {})
    assert problems == []
    print(f"\noutage of {outage:.0f} s: "
          f"{'restart needed' if restarted else 'ridden out by the running stream'}")
    assert not restarted, "the stream stopped during the outage (a restart resumed it)"
