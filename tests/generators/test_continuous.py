from __future__ import annotations

from pathlib import Path

from data_generators import GeneratorSpec
from data_generators.continuous import run_continuous
from data_generators.faults import KAFKA, FileResult
from data_generators.sinks import FolderSink


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_paced_files_until_the_duration(tmp_path: Path) -> None:
    clock = FakeClock()
    kafka: list[FileResult] = []

    def seen(res: FileResult) -> None:
        if res.source == KAFKA:
            kafka.append(res)

    spec = GeneratorSpec(seed=4, sets=3, users_per_set=1, visits_per_user=1)
    done = run_continuous(spec, FolderSink(tmp_path), rate=500, duration=30, interval=5,
                          on_file=seen, clock=clock, sleep=clock.sleep)
    assert kafka and all(r.records <= 2_500 for r in kafka)
    assert all(0 < s <= 5.0 + 1e-9 for s in clock.sleeps)  # a new file every <= 5 s
    assert sum(1 for s in clock.sleeps if abs(s - 5.0) < 1e-9) >= 2  # full files: 5 s apart
    landed = sum(r.records for r in kafka)
    assert abs(clock.now - landed / 500) <= 5.0  # about 500 records per second
    assert clock.now <= 30
    assert len(done) < 3  # cut short: only completed sets have a manifest
    for r in done:
        assert (tmp_path / f"ground_truth/set-{r.set:04d}.json").is_file()


def test_runs_to_the_end_when_time_allows(tmp_path: Path) -> None:
    clock = FakeClock()
    spec = GeneratorSpec(seed=4, sets=2, users_per_set=1, visits_per_user=1)
    done = run_continuous(spec, FolderSink(tmp_path), rate=1e9, duration=1e9,
                          clock=clock, sleep=clock.sleep)
    assert [r.set for r in done] == [1, 2]
