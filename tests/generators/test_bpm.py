from __future__ import annotations

import numpy as np

from data_generators.bpm import session_stats, signal
from data_generators.model import Visit


def visit(**kw: object) -> Visit:
    base = dict(user_id=1, device_id=9, mac_address="m", gym=1, login=1000.0, logout=5000.0,
                workout_id=1, session_id=1, start=1200.0, stop=4000.5, device_on=500,
                device_off=6000)
    base.update(kw)
    return Visit(**base)  # type: ignore[arg-type]


def test_one_reading_per_second_while_on() -> None:
    sig = signal(1, visit())
    assert sig.time[0] == 500 and sig.time[-1] == 5999 and sig.time.size == 5500
    assert np.all(np.diff(sig.time) == 1)
    assert (sig.tenths > 300).all()


def test_signal_is_seeded_and_rises_during_the_workout() -> None:
    a, b = signal(1, visit()), signal(1, visit())
    assert np.array_equal(a.tenths, b.tenths)
    assert not np.array_equal(a.tenths, signal(2, visit()).tenths)
    rest = a.tenths[(a.time < 1000)].mean()
    work = a.tenths[(a.time > 2000) & (a.time < 3500)].mean()
    assert work > rest + 300


def test_invalid_readings() -> None:
    sig = signal(1, visit(), invalid_rate=0.1)
    share = (sig.tenths <= 0).mean()
    assert 0.07 < share < 0.13


def test_stats_use_start_exclusive_stop_inclusive() -> None:
    v = visit(start=1000.0, stop=1003.0, login=1000.0, logout=1004.0, device_on=998,
              device_off=1006,
              bpm_cycle=(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0))
    # times 998..1005 -> values 1..8; inside (1000, 1003]: 1001, 1002, 1003 -> 4, 5, 6
    s = session_stats(signal(0, v), v)
    assert (s.count, s.min_tenths, s.max_tenths, s.avg) == (3, 40, 60, 5.0)
