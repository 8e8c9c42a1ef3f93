"""The batch test against the generator's ground truth, on every offline storage target.

Small sets keep it quick (one user per set, three days); the reference size
is for bench/pipeline.py. With every fault on, silver and gold must still
equal the ground truth and the quarantine must hold exactly the malformed lines.
"""

from __future__ import annotations

import pytest

from data_generators import Faults, GeneratorSpec
from lakehouse_local import batch_test


def small_spec(faults: Faults) -> GeneratorSpec:
    return GeneratorSpec(seed=7, sets=2, scale=0.05, visits_per_user=3, faults=faults)


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
    assert [s["set"] for s in report.sets] == [1, 2]
    if faults.any:
        assert report.sets[-1]["counts"]["quarantine"] > 0  # the faults really happened
