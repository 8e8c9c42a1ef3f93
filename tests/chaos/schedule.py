"""The kill schedule: where and when each round's SIGKILL lands, drawn from one seed.

A kill is tied to a moment the pipeline reaches, then a delay after it, so the
same seed aims at the same kind of instant on a fast or a slow machine:

- ``batch``: a stream planned a batch (a new ``offsets/N`` in its checkpoint);
  the delay lands inside its work: reading, MERGE, the Delta commit;
- ``commit``: a stream finished a batch (a new ``commits/N``); a short delay
  lands in the checkpoint and state writes around the next one;
- ``landing``: the producer started landing the round's set (each round lands
  one, ``land_after`` seconds after the stream starts); the delay spans its start-up
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


LAND_AFTER = (2.0, 90.0)  # when, after the stream starts, the round's set begins to land


@dataclass(frozen=True)
class Kill:
    round: int
    moment: str
    table: str | None  # whose checkpoint is watched (batch, commit)
    delay: float
    land_after: float = 0.0  # seconds after the stream starts that the round's set lands

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
        delay = round(_log_uniform(rng, *DELAY_RANGE[moment]), 3)
        kills.append(Kill(i, moment, table, delay, round(rng.uniform(*LAND_AFTER), 1)))
    return kills
