"""The batch test against the generator's ground truth, on every offline storage target.

Small sets keep it quick (one user per set, three days); the reference size
is for bench/pipeline.py. With every fault on, silver and gold must still
equal the ground truth and the quarantine must hold exactly the malformed lines.
In connect mode (``make test``'s second part) it runs one set: the second set
exercises the same code on more history, which the classic run covers, and
each set costs about 40 s over Spark Connect on 2 cores.
"""

from __future__ import annotations

import pytest

from data_generators import Faults, GeneratorSpec
from lakehouse_local import batch_test
from tests.conftest import SPARK_MODE

SETS = 1 if SPARK_MODE == "connect" else 2


def small_spec(faults: Faults) -> GeneratorSpec:
    return GeneratorSpec(seed=7, sets=SETS, scale=0.05, visits_per_user=3, faults=faults)


@pytest.mark.slow
@pytest.mark.parametrize(
    "target,faults",
    [
        ("local", Faults()),
        pytest.param("azurite", Faults.all_on(), marks=pytest.mark.spark_modes),
    ],
    ids=["local-clean", "azurite-all-faults"],
)
def test_batch_test_matches_ground_truth(lakehouse_factory, target, faults):
    lh = lakehouse_factory(target)
    report = batch_test.batch_test(lh, small_spec(faults))
    assert [s["set"] for s in report.sets] == list(range(1, SETS + 1))
    if faults.any:
        assert report.sets[-1]["counts"]["quarantine"] > 0  # the faults really happened


# long: over a minute, and `make test` has to stay under 15 minutes on 2 cores.
@pytest.mark.slow
@pytest.mark.long
def test_sets_split_over_many_bronze_batches_match_ground_truth(lakehouse_factory, monkeypatch):
    """A backlog bigger than one trigger (a catch-up after a long stop, a bulk landing):
    bronze takes it in several micro-batches, so a session's start, its readings and its
    stop can reach bronze in different batches. Silver and gold must not notice."""
    from app.pipeline import settings

    # Far below these sets' Kafka files (0.6-1.8 MB, and two of a few KB), so each big
    # file is a batch of its own (Auto Loader's cap is soft: a batch's first file fits).
    monkeypatch.setattr(settings, "BRONZE_MAX_BYTES_PER_TRIGGER", "64k")
    lh = lakehouse_factory("local")
    spec = small_spec(Faults.all_on())
    batch_test.batch_test(lh, spec, keep=True)

    kafka = lh.table("kafka_multiplex_bz")
    landed = lh.store("data_zone").list(settings.LANDING["kafka_multiplex_bz"])
    appends = (
        lh.spark.sql(f"DESCRIBE HISTORY {kafka}")
        .where("userMetadata LIKE '% batch %'").count()
    )
    assert appends >= len(landed) // 2 > spec.sets  # the sets really were split
