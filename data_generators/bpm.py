"""The dense BPM signal: one reading per device per second while it is on (numpy).

A visit's readings are the whole seconds ``device_on .. device_off - 1``; the
signal rests, ramps up over the workout and back down, with smooth noise.
Values are tenths of a BPM (int32) so that sums are exact and the text form
is a table lookup. Each visit's signal is seeded by (seed, "bpm", column,
device, session): the same whatever the file layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data_generators.model import Visit
from data_generators.seeds import rng

RAMP_SECONDS = 300.0
SMOOTH = 31
INVALID_TENTHS = np.array([0, -10, -50], dtype=np.int32)


@dataclass(frozen=True)
class Signal:
    """Readings of one visit: ``time`` (epoch s, int64) and ``tenths`` (BPM x 10, int32)."""

    time: np.ndarray
    tenths: np.ndarray


def signal(seed: int, visit: Visit, invalid_rate: float = 0.0) -> Signal:
    """The readings of one visit's device on-period."""
    t = np.arange(visit.device_on, visit.device_off, dtype=np.int64)
    if visit.bpm_cycle is not None:
        cycle = np.round(np.asarray(visit.bpm_cycle, dtype=np.float64) * 10).astype(np.int32)
        tenths = np.resize(cycle, t.size)
    else:
        key = (visit.device_id, visit.session_id, int(visit.device_on))
        g = rng(seed, "bpm", "heartrate", *key)
        rest = 55.0 + 20.0 * g.random()
        peak = 120.0 + 50.0 * g.random()
        tf = t.astype(np.float64)
        up = np.clip((tf - visit.start) / RAMP_SECONDS, 0.0, 1.0)
        down = np.clip((visit.stop + RAMP_SECONDS - tf) / RAMP_SECONDS, 0.0, 1.0)
        target = rest + (peak - rest) * np.minimum(up, down)
        noise = g.standard_normal(t.size + SMOOTH - 1)
        smooth = np.convolve(noise, np.ones(SMOOTH) / np.sqrt(SMOOTH), mode="valid")
        hr = target + 2.5 * smooth + 0.8 * g.standard_normal(t.size)
        tenths = np.clip(np.round(hr * 10), 350, 2200).astype(np.int32)
    if invalid_rate > 0:
        key = (visit.device_id, visit.session_id, int(visit.device_on))
        g = rng(seed, "faults", "invalid_bpm", *key)
        bad = g.random(t.size) < invalid_rate
        tenths = tenths.copy()
        tenths[bad] = INVALID_TENTHS[g.integers(0, INVALID_TENTHS.size, int(bad.sum()))]
    return Signal(time=t, tenths=tenths)


@dataclass(frozen=True)
class SessionStats:
    """Valid readings (heartrate > 0) with start < time <= stop."""

    count: int
    min_tenths: int
    max_tenths: int
    sum_tenths: int
    invalid: int  # invalid readings in the whole on-period

    @property
    def avg(self) -> float:
        return self.sum_tenths / self.count / 10.0


def session_stats(sig: Signal, visit: Visit) -> SessionStats:
    inside = (sig.time > visit.start) & (sig.time <= visit.stop) & (sig.tenths > 0)
    values = sig.tenths[inside].astype(np.int64)
    invalid = int((sig.tenths <= 0).sum())
    if values.size == 0:
        return SessionStats(0, 0, 0, 0, invalid)
    return SessionStats(
        count=int(values.size), min_tenths=int(values.min()), max_tenths=int(values.max()),
        sum_tenths=int(values.sum()), invalid=invalid,
    )
