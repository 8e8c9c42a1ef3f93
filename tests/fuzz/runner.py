"""Fuzz rounds: land a set and its hostile cases, run the pipeline, compare every table.

See ``tests/fuzz/__init__.py`` for the invariant. A round is two runs
(phase a, phase b); checks run after each. Counts of lost and duplicated
records add up what bronze, silver and gold miss or hold twice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.pipeline import run, settings
from lakehouse_local import producer, validate
from tests.fuzz.cases import Bad, Case, Landed, make_cases
from tests.fuzz.material import is_case_path, read_set, table_of

if TYPE_CHECKING:
    from app.platform.lakehouse import Lakehouse
    from data_generators import GeneratorSpec

SILVER_GOLD = (*settings.SILVER, *settings.GOLD, *settings.VIEWS, "date_lookup")
ROW_KEYS = {
    "completed_workouts": validate.COMPLETED,
    "workout_bpm_summary": validate.SUMMARY,
    "gym_summary": validate.GYM,
}


def storage_names(tag: str) -> dict[str, str]:
    """Schema and container names of a fuzz lakehouse (``make fuzz`` and the sample use them).

    They start with ``fuzz``, so a landed file's URL holds ``/fuzz-`` on every
    target (``file:/.../fuzz-landing-<tag>/raw/...``,
    ``abfs://fuzz-landing-<tag>@...``): files are told apart by ``case_path``.
    """
    return {
        "schema": f"fuzz_{tag}",
        "data_zone_container": f"fuzz-landing-{tag}",
        "checkpoint_container": f"fuzz-cp-{tag}",
        "tables_container": f"fuzz-tables-{tag}",
    }


def case_path(source_file: str) -> str | None:
    """The landing path of a file a case landed, None for a file of the normal sets."""
    path = validate.relative_source(source_file)
    return path if is_case_path(path) else None


@dataclass
class Summary:
    seed: int
    rounds: int = 0
    cases: int = 0
    files: int = 0
    lines_good: int = 0
    lines_bad: int = 0
    lost: int = 0
    duplicated: int = 0
    stopped: int = 0
    kinds: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems and not self.lost and not self.duplicated and not self.stopped

    def text(self, replay: str) -> str:
        lines = [
            f"fuzz: seed {self.seed}, {self.rounds} rounds, {self.cases} cases of "
            f"{len(self.kinds)} kinds, {self.files} hostile files ({self.lines_good} good "
            f"records, {self.lines_bad} bad lines), {self.seconds:.0f} s",
            f"  records lost {self.lost}, duplicated {self.duplicated}, streams stopped "
            f"{self.stopped}, other differences {len(self.problems)}",
            "  result: " + ("PASS" if self.ok else "FAIL"),
        ]
        lines += [f"  - {p}" for p in self.problems[:40]]
        if len(self.problems) > 40:
            lines.append(f"  ... and {len(self.problems) - 40} more")
        lines.append(f"  replay: {replay}")
        return "\n".join(lines)


@dataclass
class Expected:
    """What bronze and quarantine must hold from the hostile files landed so far."""

    good: dict[str, int] = field(default_factory=dict)
    bad: dict[str, list[Bad]] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)  # path -> "case id (kind)"

    def add(self, landed: Landed, owner: str) -> None:
        if landed.rewrite_of is not None:
            return  # a rewrite of an ingested file must change nothing
        self.good[landed.path] = landed.good
        self.bad[landed.path] = list(landed.bad)
        self.owner[landed.path] = owner


class FuzzRun:
    """Rounds of (set r + hostile cases) on one lakehouse, checked after every run."""

    def __init__(self, lh: Lakehouse, spec: GeneratorSpec, seed: int, cases_per_round: int,
                 log: Callable[[str], None] = print) -> None:
        self.lh, self.spec, self.seed, self.per_round = lh, spec, seed, cases_per_round
        self.log = log
        self.expected = Expected()
        self.summary = Summary(seed)

    def run(self, rounds: int) -> Summary:
        began = time.perf_counter()
        producer.land_history(self.lh, self.spec)
        for r in range(1, rounds + 1):
            if not self.round(r):
                break
        self.summary.seconds = time.perf_counter() - began
        return self.summary

    def round(self, r: int) -> bool:
        zone = self.lh.store("data_zone")
        manifest = producer.produce_set(self.lh, self.spec, r)
        cases = make_cases(self.seed, r, self.per_round, read_set(zone, manifest))
        self.summary.rounds = r
        self.summary.cases += len(cases)
        self.summary.kinds.update(c.kind for c in cases)
        for phase in ("a", "b"):
            self._land(cases, phase)
            t0 = time.perf_counter()
            try:
                run.run_once(self.lh)
            except Exception as exc:  # a stream stopped: the invariant is broken
                self.summary.stopped += 1
                self.summary.problems.append(f"round {r}{phase}: a stream stopped: "
                                             f"{str(exc).strip().splitlines()[0][:300]}")
                return False
            seconds = time.perf_counter() - t0
            before = len(self.summary.problems)
            self.check(manifest, f"round {r}{phase}")
            self.log(f"round {r}{phase}: {len(cases)} cases, pipeline {seconds:.0f} s, "
                     f"{len(self.summary.problems) - before} differences")
        return True

    def _land(self, cases: list[Case], phase: str) -> None:
        zone = self.lh.store("data_zone")
        for case in cases:
            for landed in case.files:
                if landed.phase != phase:
                    continue
                zone.put_bytes(landed.path, landed.data)
                self.expected.add(landed, f"{case.id} ({case.kind})")
                self.summary.files += 1
                self.summary.lines_good += landed.good
                self.summary.lines_bad += len(landed.bad)

    # --- checks -----------------------------------------------------------------------
    def check(self, manifest: dict[str, Any], where: str) -> None:
        self._check_bronze(manifest, where)
        self._check_quarantine(manifest, where)
        self._check_truth(manifest, where)

    def _miss(self, where: str, what: str, want: int, got: int) -> None:
        if want == got:
            return
        self.summary.lost += max(0, want - got)
        self.summary.duplicated += max(0, got - want)
        self.summary.problems.append(f"{where}: {what}: {got} rows, expected {want}")

    def _check_bronze(self, manifest: dict[str, Any], where: str) -> None:
        spark = self.lh.spark
        fuzz_got: Counter = Counter()
        for table in settings.BRONZE:
            normal = 0
            for row in spark.table(self.lh.table(table)).groupBy("source_file").count().collect():
                path = case_path(row.source_file)
                if path is not None:
                    fuzz_got[path] += row["count"]
                else:
                    normal += row["count"]
            self._miss(where, f"{table} (the normal sets)", manifest["counts"][table], normal)
        for path in sorted(set(self.expected.good) | set(fuzz_got)):
            owner = self.expected.owner.get(path, "not landed by any case")
            self._miss(where, f"bronze {table_of(path)} from {path} [{owner}]",
                       self.expected.good.get(path, 0), fuzz_got[path])

    def _check_quarantine(self, manifest: dict[str, Any], where: str) -> None:
        rows = self.lh.spark.table(self.lh.table(settings.QUARANTINE)).collect()
        normal = Counter(
            (validate.relative_source(r.source_file), validate.normalize_raw(r.raw))
            for r in rows if case_path(r.source_file) is None
        )
        want = Counter((m["source_file"], validate.normalize_raw(m["raw"]))
                       for m in manifest["malformed"])
        if normal != want:
            missing, extra = want - normal, normal - want
            self.summary.lost += sum(missing.values())
            self.summary.duplicated += sum(extra.values())
            self.summary.problems.append(
                f"{where}: quarantine of the normal sets: {sum(missing.values())} missing "
                f"(e.g. {list(missing)[:2]}), {sum(extra.values())} unexpected "
                f"(e.g. {list(extra)[:2]})")
        by_path: dict[str, list[Any]] = {}
        for r in rows:
            path = case_path(r.source_file)
            if path is not None:
                by_path.setdefault(path, []).append(r)
        for path in sorted(set(self.expected.bad) | set(by_path)):
            self._match_bad(where, path, self.expected.bad.get(path, []), by_path.get(path, []))

    def _match_bad(self, where: str, path: str, want: list[Bad], got: list[Any]) -> None:
        owner = self.expected.owner.get(path, "not landed by any case")
        name = path.rsplit("/", 1)[-1]
        left = list(got)
        unmatched = []
        # Most specific first: a raw text and a reason, then a reason, then anything.
        for bad in sorted(want, key=lambda b: (b.raw is None, b.reason == "")):
            hit = next((r for r in left if (bad.raw is None or r.raw == bad.raw)
                        and bad.reason in (r.reason or "")), None)
            if hit is None:
                unmatched.append(bad)
            else:
                left.remove(hit)
        for r in got:
            if not (r.reason or "").startswith(f"{name}: "):
                self.summary.problems.append(f"{where}: {path} [{owner}]: quarantine reason "
                                             f"does not name the file: {r.reason!r:.200}")
        if unmatched or left:
            self.summary.lost += len(unmatched)
            self.summary.duplicated += len(left)
            self.summary.problems.append(
                f"{where}: quarantine from {path} [{owner}]: {len(unmatched)} expected lines "
                f"missing (e.g. {[(b.reason, (b.raw or '')[:80]) for b in unmatched[:2]]}), "
                f"{len(left)} unexpected (e.g. {[(r.reason or '')[:160] for r in left[:2]]})")

    def _check_truth(self, manifest: dict[str, Any], where: str) -> None:
        spark = self.lh.spark
        for table in SILVER_GOLD:
            got = spark.table(self.lh.table(table)).count()
            self._miss(where, table, manifest["counts"][table], got)
        actual = validate.actual_rows(self.lh)
        for name, keys in ROW_KEYS.items():
            want = validate._rows(manifest["rows"][name], keys)
            got_rows = validate._rows(actual[name], keys)
            if want != got_rows:
                missing, extra = want - got_rows, got_rows - want
                self.summary.lost += sum(missing.values())
                self.summary.duplicated += sum(extra.values())
                self.summary.problems.append(
                    f"{where}: {name}: {sum(missing.values())} rows missing (e.g. "
                    f"{list(missing)[:2]}), {sum(extra.values())} unexpected (e.g. "
                    f"{list(extra)[:2]})")
