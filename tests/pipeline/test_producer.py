"""The continuous producer: paced by a Kafka record rate, resumable, stoppable between files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.platform.config import load_config
from app.platform.lakehouse import Lakehouse
from data_generators import GeneratorSpec
from lakehouse_local import producer
from lakehouse_local.cli import parse


def _lakehouse(tmp_path: Path) -> Lakehouse:
    """A local lakehouse without Spark: the producer only uses storage."""
    config = load_config(env={}, dotenv=Path("/nonexistent"), storage="local",
                         home=str(tmp_path))
    lh = Lakehouse(config)
    lh.target.provision()
    return lh


def test_wait_after_a_set_paces_records_not_sets(tmp_path: Path) -> None:
    lh = _lakehouse(tmp_path)
    spec = GeneratorSpec(seed=1, sets=3, scale=0.01)
    paced = producer.ContinuousProducer(lh, spec, rate=5000)
    assert paced.wait_after(60_000, 2.0) == pytest.approx(10.0)  # 60,000 / 5,000 - 2
    assert paced.wait_after(60_000, 15.0) == 0.0  # landing took longer: never negative
    fixed = producer.ContinuousProducer(lh, spec, pause=10.0)
    assert fixed.wait_after(60_000, 2.0) == pytest.approx(8.0)
    assert producer.ContinuousProducer(lh, spec).rate == producer.DEFAULT_RATE
    with pytest.raises(ValueError):
        producer.ContinuousProducer(lh, spec, rate=0)


def test_rate_paces_whole_sets_and_stop_is_prompt(tmp_path: Path) -> None:
    lh = _lakehouse(tmp_path)
    spec = GeneratorSpec(seed=1, sets=50, scale=0.01, visits_per_user=2)
    first = producer.ContinuousProducer(lh, spec, rate=1e9)  # as fast as it can land
    first.start()
    while len(first.landed) < 1:
        time.sleep(0.01)
    first.stop()
    first.join(10)
    per_set = first.set_records[0]
    assert per_set > 0
    rate = per_set / 0.4  # each set is worth 0.4 s
    paced = producer.ContinuousProducer(lh, spec, rate=rate)
    paced.start()
    while len(paced.landed) < 3 and paced.error is None:
        time.sleep(0.02)
    paced.stop()
    paced.join(10)
    assert paced.error is None and not paced.is_alive()
    # It resumed after the sets already landed, and spaced them by their records.
    assert paced.landed[0] == first.landed[-1] + 1
    for i in range(len(paced.landed) - 1):
        gap = paced.set_started[i + 1] - paced.set_started[i]
        assert gap >= paced.set_records[i] / rate - 0.01
    assert producer.landed_sets(lh) == paced.landed[-1]
    achieved = paced.achieved_rate()
    assert achieved is not None and achieved <= rate * 1.01


def test_stream_flags() -> None:
    args = parse(["run", "stream"])
    assert args.rate is None and args.pause is None  # the producer's default rate
    assert parse(["run", "stream", "--rate", "12000"]).rate == 12000.0
    assert parse(["run", "stream", "--pause", "10"]).pause == 10.0
    with pytest.raises(SystemExit):
        parse(["run", "stream", "--rate", "1000", "--pause", "10"])
