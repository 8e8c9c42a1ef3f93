"""bench/throughput.bounded: whether a backlog series says the stream keeps up.

The series come from a model of a micro-batch stream, not from a run: a
producer lands ``rate`` records/s; each batch takes every record landed when it
starts and runs ``overhead + records / speed`` seconds; the backlog is landed
minus taken, sampled every 3 s as the bench samples it. A stream keeps up when
it takes records faster than they land (``speed > rate``): then its batches
settle at one size and the backlog is a level sawtooth.
"""

from __future__ import annotations

from bench import throughput


def modelled_backlog(rate: float, speed: float, overhead: float, seconds: float = 200.0,
                     sample: float = 3.0) -> list[float]:
    commits = []  # (time the batch commits, records taken so far)
    t, taken = 0.0, 0.0
    while t < seconds:
        size = rate * t - taken
        t += overhead + size / speed
        taken += size
        commits.append((t, taken))
    out = []
    for k in range(1, int(seconds / sample) + 1):
        now = k * sample
        done = max((n for c, n in commits if c <= now), default=0.0)
        out.append(rate * now - done)
    return out


SLACK = 12_000 * 5.0  # the bench's: five seconds of production


def test_a_stream_faster_than_the_producer_is_bounded_even_with_long_batches() -> None:
    # Batches of ~20 s at 12,000/s: the backlog swings between ~0.25 and ~0.5 million.
    backlog = modelled_backlog(12_000, speed=25_000, overhead=10.0)
    assert max(backlog) > 250_000  # a sawtooth with tall teeth, not a flat line
    assert throughput.bounded(backlog, SLACK)


def test_a_stream_slower_than_the_producer_is_not_bounded() -> None:
    assert not throughput.bounded(modelled_backlog(12_000, speed=10_000, overhead=10.0), SLACK)
    # Falling behind by 10%, with short batches.
    assert not throughput.bounded(modelled_backlog(12_000, speed=10_800, overhead=1.0), SLACK)


def test_the_climb_from_an_empty_backlog_is_not_growth() -> None:
    # The first third holds the ramp from zero to the first batch's size:
    # compared with it, any level sawtooth would look like growth.
    backlog = modelled_backlog(12_000, speed=40_000, overhead=15.0)
    assert min(backlog[: len(backlog) // 3]) < 100_000 < min(backlog[-len(backlog) // 3:])
    assert throughput.bounded(backlog, SLACK)


def test_a_stalled_stream_is_not_bounded() -> None:
    # No batch commits after 100 s: the backlog only climbs.
    backlog = [min(t, 100) % 10 * 1_000 + max(0, t - 100) * 12_000 for t in range(0, 200, 3)]
    assert not throughput.bounded([float(b) for b in backlog], SLACK)


def test_too_few_samples_say_nothing() -> None:
    assert not throughput.bounded([0.0, 0.0], SLACK)
    assert throughput.bounded([5.0, 0.0, 1.0], 2.0)  # the smallest window: one sample a third
    assert not throughput.bounded([5.0, 0.0, 3.0], 2.0)


def test_floors_are_what_bounded_compares() -> None:
    assert throughput.floors([9, 4, 6, 5, 7, 8]) == (5, 7)
