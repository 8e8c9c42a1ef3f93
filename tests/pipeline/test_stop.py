"""stop_gracefully without Spark: idle streams stop at once, busy ones get a short grace."""

from __future__ import annotations

import threading

from app.pipeline import run


class FakeQuery:
    """A query whose batch ends after ``busy_for`` seconds of the fake clock (None: never)."""

    def __init__(self, name: str, clock: list[float], busy_for: float | None = 0.0) -> None:
        self.name, self.clock, self.busy_for = name, clock, busy_for
        self.stopped_at: float | None = None
        self.lock = threading.Lock()

    @property
    def isActive(self) -> bool:  # noqa: N802 - pyspark's name
        return self.stopped_at is None

    @property
    def status(self) -> dict[str, bool]:
        busy = self.busy_for is None or self.clock[0] < self.busy_for
        return {"isTriggerActive": busy and self.isActive, "isDataAvailable": busy}

    def stop(self) -> None:
        with self.lock:
            self.stopped_at = self.clock[0]


def _run(queries: list[FakeQuery], clock: list[float], timeout: float) -> None:
    def sleep(seconds: float) -> None:
        clock[0] += seconds

    run.stop_gracefully(queries, timeout=timeout, clock=lambda: clock[0], sleep=sleep)  # type: ignore[arg-type]


def test_idle_streams_stop_at_once_busy_ones_after_their_batch() -> None:
    clock = [0.0]
    idle = FakeQuery("idle", clock, busy_for=0.0)
    short = FakeQuery("short", clock, busy_for=1.0)
    _run([idle, short], clock, timeout=3.0)
    assert idle.stopped_at is not None and idle.stopped_at < 0.5  # not after the busy one
    assert short.stopped_at is not None and 1.0 <= short.stopped_at < 1.5


def test_a_batch_longer_than_the_grace_is_interrupted_at_the_deadline() -> None:
    clock = [0.0]
    endless = FakeQuery("endless", clock, busy_for=None)
    idle = FakeQuery("idle", clock)
    _run([endless, idle], clock, timeout=3.0)
    assert idle.stopped_at is not None and idle.stopped_at < 0.5  # not after the busy one
    assert endless.stopped_at is not None and 3.0 <= endless.stopped_at < 3.5
    assert run.GRACE_SECONDS <= 5  # Ctrl-C returns within seconds


def test_nothing_to_stop() -> None:
    clock = [0.0]
    done = FakeQuery("done", clock)
    done.stop()
    _run([done], clock, timeout=3.0)
    _run([], clock, timeout=3.0)
    assert clock[0] == 0.0
