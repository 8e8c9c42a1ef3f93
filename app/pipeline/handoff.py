"""Gold waits for bronze's silver writers, so one gold batch takes a whole bronze batch.

Bronze's micro-batch writes gold's four sources (heart_rate, completed_workouts,
users, user_bins) side by side, and they commit seconds apart. Gold's query,
polling every second, used to start a batch on the first of those commits
(the readings alone) and another on the rest (their sessions, users and
bins): two rounds of finding the affected sessions, re-reading their
readings and MERGEing workout_bpm and gold, and the second recomputed what
the first had. Under a backlog, a throughput trial at 13,500 Kafka
records/s on 2 cores ran about three gold batches per bronze batch, 25-35 s
of gold work beside the next bronze batch; a gold batch that held all of one
bronze batch's changes took 11-19 s.

So, in a process that runs both (``run.start_all``; on Spark Connect each
query's batches run in a Python process of their own and nothing waits), and
only while bronze is saturated (its batch started right after the one
before, ``BACK_TO_BACK_SECONDS``: landed files were waiting), a gold batch

- before its work, waits while that bronze batch is writing silver: its
  offsets may hold only the first of those commits, but the tables it reads
  the sessions, users and bins from then hold all of them;
- after its work, waits for the bronze batch running then to finish, so its
  next trigger finds that batch's commits together instead of polling into
  the middle of them.

When bronze has idle time the cores do too, and gold keeps starting beside
bronze's silver writers: waiting then saves no contended work and, as a
trace of one-day sets landed one at a time showed, holds gold's start back
until the last of those writers has committed.

Only the timing changes, never what a batch computes: completeness rests on
``app.pipeline.sessions`` (the batch that delivers the last of a reading, its
session and its user reads the other two from the tables), which holds for
any interleaving. Every wait is bounded (``MAX_WAIT_SECONDS``) and ends at
once when the streams stop (``release``), so a stuck bronze batch delays gold
and never stops it, and Ctrl-C does not wait for it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

# The longest a gold batch waits for bronze, each time. Bronze's batches at the
# edge of sustained throughput take 20-30 s on 2 cores; behind a longer one
# (a catch-up of up to 512m of landed files) gold goes on without it.
MAX_WAIT_SECONDS = 60.0
# A bronze batch that starts within this many seconds of the previous one's end
# found landed files waiting: bronze is saturated. (Between two batches Spark
# commits the first, lists the landing folders and writes the next offsets:
# well under a second on 2 cores, locally or on Azurite.)
BACK_TO_BACK_SECONDS = 2.0


class BronzeBatches:
    """What the bronze batches of one lakehouse are doing, as the gold batches see it."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._running = 0  # bronze batches in progress
        self._writing = 0  # of which in their silver writers
        self._finished = 0  # bronze batches ended so far (a generation count)
        self._released = False  # the streams are stopping: nobody waits
        self._saturated = False  # the batch running now started back to back
        self._last_end: float | None = None  # when the last bronze batch ended

    @contextmanager
    def batch(self, clock: Callable[[], float] = time.monotonic) -> Iterator[None]:
        """Around a whole bronze batch."""
        with self._changed:
            began = clock()
            self._saturated = (
                self._last_end is not None and began - self._last_end < BACK_TO_BACK_SECONDS
            )
            self._running += 1
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._finished += 1
                self._last_end = clock()
                if not self._running:
                    self._saturated = False
                self._changed.notify_all()

    @contextmanager
    def writing_silver(self) -> Iterator[None]:
        """Around the silver writers of a bronze batch (the commits gold reads)."""
        with self._changed:
            self._writing += 1
        try:
            yield
        finally:
            with self._changed:
                self._writing -= 1
                self._changed.notify_all()

    def before_gold(self, timeout: float = MAX_WAIT_SECONDS) -> bool:
        """While bronze is saturated, wait while it writes silver; False on a time-out."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self._released or not (self._saturated and self._writing), timeout
            )

    def after_gold(self, timeout: float = MAX_WAIT_SECONDS) -> bool:
        """While bronze is saturated, wait for its batch running now to end; False on a
        time-out."""
        with self._changed:
            if not (self._running and self._saturated):
                return True
            target = self._finished + 1
            return self._changed.wait_for(
                lambda: self._released or self._finished >= target, timeout
            )

    def release(self) -> None:
        """The streams are stopping: end every wait now and wait no more."""
        with self._changed:
            self._released = True
            self._changed.notify_all()

    def resume(self) -> None:
        """Streams start again: gold waits again."""
        with self._changed:
            self._released = False


_lock = threading.Lock()
_by_database: dict[str, BronzeBatches] = {}


def of(database: str) -> BronzeBatches:
    """The bronze batches of the lakehouse whose tables live in ``database``."""
    with _lock:
        return _by_database.setdefault(database, BronzeBatches())


def release(query_names: Iterable[str | None]) -> None:
    """End the waits of the lakehouses of these queries (``streaming.query_name``:
    ``<database>.<stream>``)."""
    for name in query_names:
        if name and "." in name:
            of(name.rsplit(".", 1)[0]).release()
