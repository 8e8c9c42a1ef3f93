"""bench/history.py's figures, on hand-worked curves (pure arithmetic, no Spark)."""

from __future__ import annotations

import pytest

from bench.history import HistoryCurve


def test_flat_cost_with_checkpoint_sets_is_no_growth_by_halves():
    # 20 sets: set 1 creates the tables; 10 s a set, 13 s at the checkpoint sets 9-10, 19-20.
    seconds = [16.0] + [13.0 if n in (9, 10, 19, 20) else 10.0 for n in range(2, 21)]
    curve = HistoryCurve(seconds)
    assert curve.ratio == pytest.approx(13.0 / 10.0)  # the goal's figure catches set 20
    # Sets 2-10 and 12-20: both (7 * 10 + 2 * 13) / 9.
    assert curve.halves_ratio == pytest.approx(1.0)


def test_cost_growing_with_history_shows_in_halves():
    seconds = [20.0] + [10.0 + 0.5 * (n - 2) for n in range(2, 21)]  # +0.5 s a set
    # Sets 2-10: mean 10 + 0.5 * 4 = 12; sets 12-20: mean 10 + 0.5 * 14 = 17.
    assert HistoryCurve(seconds).halves_ratio == pytest.approx(17.0 / 12.0)


def test_too_few_sets_give_no_halves():
    assert HistoryCurve([5.0, 4.0, 4.0, 4.0]).halves_ratio is None  # k = 1
    assert HistoryCurve([5.0, 4.0, 4.0, 4.0, 6.0]).halves_ratio == pytest.approx(5.0 / 4.0)
