"""The kill schedule: where and when each round's SIGKILL lands, drawn from one seed.

A kill is tied to a moment the pipeline reaches, then a delay after it, so the
same seed aims at the same kind of instant on a fast or a slow machine:

- ``batch``: a stream planned a batch (a new ``offsets/N`` in its checkpoint);
  the delay lands inside its work: reading, MERGE, the Delta commit;
- ``commit``: a stream finished a batch (a new ``commits/N``); a short delay
  lands in the checkpoint and state writes around the next one;
- ``landing``: the producer started landing a set; the delay spans its start-up
  and its files, so the set is often half-landed when it dies with the stream;
- ``startup``: seconds after the process started: JVM start, DDL, the
  history loader, the first batches of every stream.

Delays are log-uniform, so many kills come very soon after the moment.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

MOMENTS = ("batch", "commit", "landing", "startup")
WEIGHTS = (0.45, 0.2, 0.15, 0.2)
DELAY_RANGE = {"batch": (0.02, 5.0), "commit": (0.01, 1.0), "landing": (0.3, 4.0),
               "startup": (3.0, 45.0)}


@dataclass(frozen=True)
class Kill:
    round: int
    moment: str
    table: str | None  # whose checkpoint is watched (batch, commit)
    delay: float

    def describe(self) -> str:
        if self.moment == "startup":
            return f"{self.delay:5.2f} s after start"
        if self.moment == "landing":
            return f"{self.delay:5.2f} s after a set began to land"
        what = "planned" if self.moment == "batch" else "committed"
        return f"{self.delay:5.2f} s after {self.table} {what} a batch"


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def plan(seed: int, rounds: int, tables: tuple[str, ...]) -> list[Kill]:
    """``rounds`` kills, the same list for the same seed and tables."""
    rng = random.Random(seed)
    kills = []
    for i in range(1, rounds + 1):
        moment = rng.choices(MOMENTS, WEIGHTS)[0]
        table = rng.choice(tables) if moment in ("batch", "commit") else None
        kills.append(Kill(i, moment, table, round(_log_uniform(rng, *DELAY_RANGE[moment]), 3)))
    return kills
