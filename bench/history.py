"""Cost flat in history: run once-mode over many small sets, one after another.

Per set n: land it (``producer.produce_set``), then time ``run.run_once``
(setup, history loader, every layer available-now). With a per-change design
the last set costs what the second does; a design that rescans history grows.
Set 1 is reported but not the baseline: it creates every table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.platform.lakehouse import Lakehouse


@dataclass
class HistoryCurve:
    seconds: list[float] = field(default_factory=list)  # run_once time of set 1, 2, ...

    @property
    def ratio(self) -> float | None:
        """Last set's time over set 2's."""
        return self.seconds[-1] / self.seconds[1] if len(self.seconds) >= 3 else None

    @property
    def half(self) -> int:
        """k, the sets in each half of ``halves_ratio``: sets 2..k+1 and the last k."""
        return (len(self.seconds) - 1) // 2

    @property
    def halves_ratio(self) -> float | None:
        """Mean of the last k sets over the mean of sets 2..k+1 (k = ``half``).

        Not the goal's figure: beside it, a trend. Delta writes a table's
        checkpoint every tenth commit, and about ten tables commit once per
        set, so some sets pay for those checkpoints; a single last set may
        or may not be one of them. Over 20 sets each half (2-10, 12-20) holds
        one such pair of sets, so what is left is growth with history.
        """
        k = self.half
        if k < 2:
            return None
        earlier, later = self.seconds[1:1 + k], self.seconds[-k:]
        return sum(later) / sum(earlier)  # both means are over k sets

    def compact(self) -> str:
        return " ".join(f"{s:.1f}" for s in self.seconds)


def once_per_set(lh: Lakehouse, sets: int, scale: float = 0.1, seed: int = 11) -> HistoryCurve:
    import time

    from app.pipeline import run
    from data_generators import GeneratorSpec
    from lakehouse_local import producer

    spec = GeneratorSpec(seed=seed, sets=sets, scale=scale)
    producer.land_history(lh, spec)
    curve = HistoryCurve()
    for n in range(1, sets + 1):
        producer.produce_set(lh, spec, n)
        began = time.perf_counter()
        run.run_once(lh)
        curve.seconds.append(time.perf_counter() - began)
        print(f"    set {n}: {curve.seconds[-1]:.1f}s", flush=True)
    return curve
