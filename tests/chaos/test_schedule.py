"""The kill schedule: replayable from its seed, and it aims at every kind of moment."""

from __future__ import annotations

from tests.chaos.harness import STREAMED
from tests.chaos.schedule import DELAY_RANGE, LAND_AFTER, MOMENTS, plan


def test_same_seed_same_schedule_other_seed_other_schedule() -> None:
    assert plan(42, 20, STREAMED) == plan(42, 20, STREAMED)
    assert plan(42, 20, STREAMED) != plan(43, 20, STREAMED)


def test_schedule_spreads_over_moments_and_delays() -> None:
    kills = plan(42, 200, STREAMED)
    assert {k.moment for k in kills} == set(MOMENTS)
    assert {k.table for k in kills if k.moment in ("batch", "commit")} == set(STREAMED)
    for k in kills:
        low, high = DELAY_RANGE[k.moment]
        assert low <= k.delay <= high + 1e-3
        assert LAND_AFTER[0] <= k.land_after <= LAND_AFTER[1]
    batch = [k.delay for k in kills if k.moment == "batch"]
    # log-uniform: many kills land in the first half second of a batch, some seconds later
    assert any(d < 0.5 for d in batch) and any(d > 2.0 for d in batch)
