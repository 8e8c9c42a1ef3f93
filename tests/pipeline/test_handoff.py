"""Gold's waits for bronze (app/pipeline/handoff.py): pure timing logic, no Spark.

Each case runs a waiter in a thread and checks that it returns when, and only
when, the documented event happens: the saturated bronze batch ends, its
silver writers end, the streams stop, or the time-out passes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from app.pipeline import handoff
from app.pipeline.handoff import BACK_TO_BACK_SECONDS, BronzeBatches

STILL_WAITING = 0.2  # seconds a waiter must still be blocked after
RETURNS_WITHIN = 5.0  # seconds a released waiter gets to return


class Waiter(threading.Thread):
    def __init__(self, wait: Callable[[], bool]) -> None:
        super().__init__(daemon=True)
        self.wait, self.result = wait, None  # type: ignore[assignment]

    def run(self) -> None:
        self.result = self.wait()  # type: ignore[assignment]


def assert_waits_until(wait: Callable[[], bool], event: Callable[[], object]) -> None:
    """``wait`` blocks until ``event()`` happens, then returns True."""
    waiter = Waiter(wait)
    waiter.start()
    waiter.join(STILL_WAITING)
    assert waiter.is_alive()
    event()
    waiter.join(RETURNS_WITHIN)
    assert not waiter.is_alive() and waiter.result is True


def clock_at(*times: float) -> Callable[[], float]:
    values = iter(times)
    return lambda: next(values)


def saturated_batch(b: BronzeBatches):  # type: ignore[no-untyped-def]
    """A batch that starts 0.5 s after the previous one ended (clock in seconds)."""
    with b.batch(clock=clock_at(0.0, 10.0)):
        pass
    return b.batch(clock=clock_at(10.5, 99.0))


def test_no_wait_when_bronze_is_idle_or_started_after_a_gap() -> None:
    b = BronzeBatches()
    assert b.before_gold(timeout=0) and b.after_gold(timeout=0)  # nothing ran yet
    with b.batch(clock=clock_at(0.0, 10.0)):  # the first batch: nothing before it
        with b.writing_silver():
            assert b.before_gold(timeout=0)
            assert b.after_gold(timeout=0)
    # The next one starts after a gap: bronze had idle time, gold overlaps it.
    with b.batch(clock=clock_at(10.0 + BACK_TO_BACK_SECONDS + 0.1, 20.0)):
        with b.writing_silver():
            assert b.before_gold(timeout=0)
            assert b.after_gold(timeout=0)


def test_after_gold_waits_for_the_saturated_batch_to_end() -> None:
    b = BronzeBatches()
    running = saturated_batch(b)
    running.__enter__()
    assert_waits_until(b.after_gold, lambda: running.__exit__(None, None, None))


def test_before_gold_waits_while_a_saturated_batch_writes_silver() -> None:
    b = BronzeBatches()
    with saturated_batch(b):
        assert b.before_gold(timeout=0)  # its bronze appends: gold's sources unchanged
        writing = b.writing_silver()
        writing.__enter__()
        assert_waits_until(b.before_gold, lambda: writing.__exit__(None, None, None))


def test_a_wait_times_out_and_says_so() -> None:
    b = BronzeBatches()
    with saturated_batch(b), b.writing_silver():
        assert b.before_gold(timeout=0.05) is False
        assert b.after_gold(timeout=0.05) is False


def test_release_ends_the_waits_and_resume_restores_them() -> None:
    b = BronzeBatches()
    with saturated_batch(b):
        assert_waits_until(b.after_gold, b.release)
        assert b.after_gold(timeout=0)  # released: no more waiting
        b.resume()
        assert b.after_gold(timeout=0.05) is False


def test_release_by_query_name_reaches_that_lakehouse_only() -> None:
    mine, other = handoff.of("test_handoff__a"), handoff.of("test_handoff__b")
    with saturated_batch(mine), saturated_batch(other):
        handoff.release(["test_handoff__a.bronze", None, "unnamed"])
        assert mine.after_gold(timeout=0)
        assert other.after_gold(timeout=0.05) is False
    mine.resume()
