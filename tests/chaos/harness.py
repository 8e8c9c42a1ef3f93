"""``make chaos``: SIGKILL the streaming pipeline at seeded moments, restart, drain, compare.

Each round starts ``python -m lakehouse_local run stream --no-live`` in its own
process group, waits for the round's moment (see ``schedule``), kills the
whole group (Python, the Spark JVM, its workers) with SIGKILL and starts the
next round on the same checkpoints. In each round a producer lands one set,
at a seeded moment after the stream starts, as a ``python -m
tests.chaos.produce --set N`` process (the same code as the stream's
built-in producer); a ``landing`` kill takes it down mid-set together with
the stream, as a machine crash would, and the next round lands that set
again. The producer is a process of its own so that every round gets new
data however slowly a loaded machine starts Spark.

After the last round a resumed producer completes the set left half-landed,
``python -m lakehouse_local run once`` drains what is left, and every table is
compared with the ground truth of the sets landed (``validate.check``).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.pipeline import settings
from app.platform.config import PROJECT_ROOT, LakehouseConfig, load_config
from app.platform.lakehouse import Lakehouse
from app.platform.storage import ObjectStore, storage_target
from data_generators import GeneratorSpec, generate_set
from emulators.azurite import AzuriteProcess, free_port
from lakehouse_local import producer, validate
from tests.chaos.processes import (
    Child,
    child_env,
    isolated_config,
    pipeline,
    run_pipeline,
    start,
)
from tests.chaos.schedule import Kill, plan

STREAMED = tuple(settings.STREAMS)
DEFAULT_ROUNDS = {"local": 20, "azurite": 5}


@dataclass(frozen=True)
class ChaosOptions:
    storage: str = "local"
    rounds: int = 20
    seed: int = 42
    scale: float = 0.05
    processing_time: str = "1 second"
    moment_timeout: float = 150.0  # a round whose moment never comes is killed then
    keep: bool = False

    @property
    def workdir(self) -> Path:
        return PROJECT_ROOT / ".lakehouse" / "chaos" / f"{self.storage}-{self.seed}"

    def replay(self) -> str:
        return f"make chaos SEED={self.seed} STORAGE={self.storage} ROUNDS={self.rounds}"


@dataclass
class Round:
    kill: Kill
    log: Path
    reached: float | None = None  # seconds after start when the moment came
    killed: float | None = None  # seconds after start of the SIGKILL
    died: int | None = None  # exit status when the pipeline stopped by itself
    sets: int = 0  # complete sets landed (manifests) after the round
    mid_set: bool = False  # the producer died in the middle of a set too
    failed: str | None = None  # a stream that failed while the process ran on

    def check_log(self) -> None:
        """A stream that stopped with an error is a failure even if the process lived on."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        for line in text.splitlines():
            if "terminated with exception" in line or "STREAM_FAILED" in line:
                self.failed = line.strip()[:200]
                return

    def line(self) -> str:
        if self.died is not None:
            outcome = f"DIED BY ITSELF (exit {self.died}), see {self.log}"
        elif self.failed is not None:
            outcome = f"A STREAM FAILED, see {self.log}"
        elif self.kill.moment != "startup" and self.reached is None:
            outcome = f"moment not reached, killed at {self.killed:.1f} s"
        else:
            outcome = f"killed at {self.killed:6.1f} s"
            if self.mid_set:
                outcome += " + producer mid-set"
        return (f"  {self.kill.round:>3}  {self.kill.moment:<8} {self.kill.describe():<48} "
                f"{outcome:<34} sets {self.sets}")


@dataclass
class Report:
    options: ChaosOptions
    rounds: list[Round] = field(default_factory=list)
    half_landed: str = ""
    drain_seconds: float = 0.0
    counts: dict[str, tuple[int | None, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return sum(max(0, want - (got or 0)) for got, want in self.counts.values())

    @property
    def duplicated(self) -> int:
        return sum(max(0, (got or 0) - want) for got, want in self.counts.values())

    @property
    def passed(self) -> bool:
        return (bool(self.counts) and not self.problems
                and all(r.died is None and r.failed is None for r in self.rounds))


@contextmanager
def environment(options: ChaosOptions) -> Iterator[LakehouseConfig]:
    """A fresh, private environment: its own home, containers and (for azurite) Azurite."""
    workdir = options.workdir
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    # The developer's settings must not leak in; the jar folder may (a checkout without jars).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LAKEHOUSE_", "AZURITE_")) or k == "LAKEHOUSE_JARS_DIR"}
    base = load_config(env=env, dotenv=Path("/nonexistent"), storage=options.storage,
                       home=str(workdir / "home"))
    config = isolated_config(base, tag=f"chaos-{options.seed}")
    azurite = None
    if options.storage == "azurite":
        # A private Azurite: nothing a developer runs can interfere, or be clobbered.
        azurite = AzuriteProcess("127.0.0.1", free_port(), workdir / "azurite")
        azurite.start()
        config = config.replace(azurite_host=azurite.host, azurite_port=azurite.port)
    storage_target(config).provision()
    try:
        yield config
    finally:
        if azurite is not None:
            azurite.stop()


def _names(store: ObjectStore, prefix: str) -> set[str]:
    return {n for n in store.list(prefix) if n.rsplit("/", 1)[-1].isdigit()}


def _watch(lh: Lakehouse, kill: Kill, prod: Producer) -> Callable[[], bool]:
    """A predicate that turns true once the kill's moment has come (after this call)."""
    if kill.moment == "landing":
        runs = prod.runs
        return lambda: prod.runs > runs
    folder = "offsets" if kill.moment == "batch" else "commits"
    store, prefix = lh.store("checkpoint"), f"checkpoints/{kill.table}/{folder}/"
    before = _names(store, prefix)
    return lambda: bool(_names(store, prefix) - before)


class Producer:
    """Lands the next set (``produce --set N``, a process of its own) when told to.

    One set per round, at a seeded moment after the stream starts, so every
    round has new data to process whatever the machine's speed. Like the
    stream's producer, it resumes at the first set with no manifest.
    """

    def __init__(self, options: ChaosOptions, lh: Lakehouse, env: dict[str, str]) -> None:
        self.options, self.lh, self.env = options, lh, env
        self.child: Child | None = None
        self.killed = 0  # sets killed while landing
        self.runs = 0  # produce processes started
        self._lock = threading.Lock()

    def land_next(self) -> Child | None:
        """Start landing the next set, unless one is still being landed."""
        with self._lock:
            if self.child is not None and self.child.alive():
                return None
            n = producer.landed_sets(self.lh) + 1
            self.runs += 1
            log = self.options.workdir / "logs" / f"produce-{self.runs:02d}-set-{n}.log"
            self.child = start(
                ["-m", "tests.chaos.produce", "--set", str(n), "--seed", str(self.options.seed),
                 "--scale", str(self.options.scale)], self.env, log,
            )
            return self.child

    def kill(self) -> bool:
        """SIGKILL the set being landed, if any (a crash mid-set); True if one was."""
        with self._lock:
            child = self.child
        if child is not None and child.alive():
            child.kill_group()
            self.killed += 1
            return True
        return False

    def wait(self, timeout: float = 600.0) -> None:
        with self._lock:
            child = self.child
        if child is not None:
            child.wait(timeout)


def run_round(
    options: ChaosOptions, lh: Lakehouse, env: dict[str, str], kill: Kill, prod: Producer
) -> Round:
    result = Round(kill, options.workdir / "logs" / f"round-{kill.round:02d}.log")
    reached = _watch(lh, kill, prod) if kill.moment != "startup" else None
    child = pipeline(
        "stream", "--no-live", "--no-producer", "--processing-time", options.processing_time,
        env=env, log=result.log,
    )
    landing = threading.Timer(kill.land_after, prod.land_next)
    landing.start()
    poll = 0.05 if options.storage == "local" or kill.moment == "landing" else 0.25
    if reached is None:
        _sleep_while_alive(child, kill.delay)
    else:
        deadline = time.monotonic() + options.moment_timeout
        while child.alive() and time.monotonic() < deadline and not reached():
            time.sleep(poll)
        if child.alive() and time.monotonic() < deadline:
            result.reached = time.monotonic() - child.started
            _sleep_while_alive(child, kill.delay)
    landing.cancel()
    if not child.alive():
        result.died = child.proc.returncode
    result.killed = time.monotonic() - child.started
    # A machine crash: the stream and, on a landing kill, the set being landed.
    result.mid_set = prod.kill() if kill.moment == "landing" else False
    child.kill_group()
    result.check_log()
    result.sets = producer.landed_sets(lh)
    return result


def _sleep_while_alive(child: Child, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while child.alive() and time.monotonic() < deadline:
        time.sleep(min(0.02, max(0.0, deadline - time.monotonic())))


def complete_half_landed_set(lh: Lakehouse) -> str:
    """What a restarted producer does first: land again the set with no manifest yet."""
    manifest = producer.latest_manifest(lh)
    if manifest is None:
        raise RuntimeError("no set was landed whole: the producer failed, see its logs")
    spec = GeneratorSpec.from_description(manifest["spec"])
    n = producer.landed_sets(lh) + 1
    zone = lh.store("data_zone")
    tag = f"set-{n:04d}-"
    present = [p for p in zone.list("raw/") if tag in p]
    if not present:
        return f"no set left half-landed (set {n} not started)"
    result = generate_set(spec, n, zone)
    total = len([f for f in result.files if f.startswith("raw/")])
    return (f"set {n} was left half-landed by a kill ({len(present)} of {total} data files); "
            f"a resumed producer kept those and landed the other {total - len(present)}")


def compare(lh: Lakehouse, report: Report) -> None:
    manifest = producer.latest_manifest(lh)
    assert manifest is not None
    counts = validate.table_counts(lh)
    report.counts = {t: (counts.get(t), want) for t, want in manifest["counts"].items()}
    report.problems = validate.check(lh, manifest)


def run(options: ChaosOptions, out: Callable[[str], None] = print) -> Report:
    report = Report(options)
    kills = plan(options.seed, options.rounds, STREAMED)
    out(f"chaos: {options.rounds} rounds of SIGKILL on `stream` ({options.storage} storage), "
        f"seed {options.seed}; replay: {options.replay()}")
    out("kill schedule:")
    for k in kills:
        out(f"  {k.round:>3}  {k.moment:<8} {k.describe():<48} (its set lands "
            f"{k.land_after:.0f} s after start)")
    with environment(options) as config:
        lh = Lakehouse(config)
        env = child_env(config, {"SPARK_LOCAL_DIRS": str(options.workdir / "spark-local")})
        out(f"environment: {lh.database}, data zone {lh.location('data_zone')}; logs in "
            f"{options.workdir / 'logs'}")
        prod = Producer(options, lh, env)
        first = prod.land_next()  # set 1 and the history before any stream starts
        if first is None or first.wait(600) != 0:
            raise RuntimeError(f"the producer failed: see {options.workdir / 'logs'}")
        out("rounds:")
        for kill in kills:
            result = run_round(options, lh, env, kill, prod)
            report.rounds.append(result)
            out(result.line())
        prod.wait()
        out(f"producer: {producer.landed_sets(lh)} sets landed, {prod.killed} killed mid-set")
        report.half_landed = complete_half_landed_set(lh)
        out(report.half_landed)
        began = time.monotonic()
        status, text = run_pipeline("once", env=env, log=options.workdir / "logs" / "drain.log")
        report.drain_seconds = time.monotonic() - began
        if status != 0:
            report.problems.append(f"drain (`once`) failed with exit {status}: {text[-2000:]}")
            return _finish(report, out)
        out(f"drain (`once`): {report.drain_seconds:.0f} s")
        os.environ["SPARK_LOCAL_DIRS"] = str(options.workdir / "spark-local")
        compare(lh, report)
        lh.spark.stop()
    return _finish(report, out)


def _finish(report: Report, out: Callable[[str], None]) -> Report:
    if report.counts:
        out(f"{'table':<24} {'rows':>10} {'ground truth':>13}")
        for table, (got, want) in report.counts.items():
            mark = "ok" if got == want else "MISMATCH"
            out(f"  {table:<22} {got if got is not None else '-':>10} {want:>13}  {mark}")
    for problem in report.problems:
        out(f"problem: {problem}")
    survived = sum(1 for r in report.rounds if r.died is None and r.failed is None)
    verdict = "PASS" if report.passed else "FAIL"
    compared = (f"records lost {report.lost}, duplicated {report.duplicated}" if report.counts
                else "tables not compared")
    out(f"{verdict}: {survived} of {len(report.rounds)} kills survived; {compared}; "
        f"drain {report.drain_seconds:.0f} s")
    if not report.passed:
        out(f"replay this seed: {report.options.replay()}")
    (report.options.workdir / "report.json").write_text(json.dumps(_as_json(report), indent=1))
    if report.passed and not report.options.keep:
        shutil.rmtree(report.options.workdir / "home", ignore_errors=True)
        shutil.rmtree(report.options.workdir / "spark-local", ignore_errors=True)
        shutil.rmtree(report.options.workdir / "azurite", ignore_errors=True)
    return report


def _as_json(report: Report) -> dict[str, Any]:
    return {
        "options": report.options.__dict__,
        "rounds": [{"round": r.kill.round, "moment": r.kill.moment, "table": r.kill.table,
                    "delay": r.kill.delay, "reached": r.reached, "killed": r.killed,
                    "died": r.died, "failed": r.failed, "sets": r.sets, "mid_set": r.mid_set}
                   for r in report.rounds],
        "half_landed": report.half_landed,
        "counts": report.counts,
        "problems": report.problems,
        "lost": report.lost,
        "duplicated": report.duplicated,
        "passed": report.passed,
    }
