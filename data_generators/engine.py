"""The engine: lands set after set of a spec (or a hand-made scenario) and its ground truth.

Per set n, in this order: the date lookup (``test_data/date_lookup.json``),
the new users (``raw/registered_users_bz/set-NNNN-part-0001.csv``), the gym
logins (``raw/gym_logins_bz/set-NNNN-part-PPPP.csv``), the multiplexed Kafka
records in event-time order (``raw/kafka_multiplex_bz/set-NNNN-part-PPPP.json``,
one file per ``file_seconds`` of event time, cut at ``max_records_per_file``),
then the cumulative manifest (``ground_truth/set-NNNN.json``). An event lands
in the set whose window holds its event time; BPM readings are generated and
formatted chunk by chunk, so memory stays flat whatever the scale.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from data_generators.bpm import SessionStats, Signal, session_stats, signal
from data_generators.faults import GYM_LOGINS, KAFKA, REGISTERED_USERS, FileBuilder, FileResult
from data_generators.formats import (
    GYM_LOGINS_HEADER,
    KAFKA_PARTITIONS,
    REGISTERED_USERS_HEADER,
    bpm_lines,
    date_lookup_rows,
    gym_login_row,
    kafka_line,
    registered_user_row,
    user_info_value,
    workout_value,
)
from data_generators.model import Timeline, Visit
from data_generators.seeds import rng
from data_generators.sinks import NullSink, Sink
from data_generators.spec import GeneratorSpec
from data_generators.timeline import TimelineBuilder
from data_generators.truth import Tallies, build_manifest, days_in, manifest_path, years_touched

DATE_LOOKUP_PATH = "test_data/date_lookup.json"
USERS_DIR = "raw/registered_users_bz"
GYM_DIR = "raw/gym_logins_bz"
KAFKA_DIR = "raw/kafka_multiplex_bz"
BLOCK = 50_000
OFFSET_BASE = 1_000_000_000  # set n's offsets start at n * OFFSET_BASE per topic partition

Progress = Callable[[int], None]
FileHook = Callable[[FileResult], None]


@dataclass
class SourceStats:
    files: int = 0
    records: int = 0
    bytes: int = 0
    malformed: int = 0


@dataclass
class SetResult:
    """One landed set: its manifest (cumulative ground truth) and its files."""

    set: int
    manifest: dict[str, Any]
    files: list[str]
    sources: dict[str, SourceStats] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return sum(s.records for s in self.sources.values())


@dataclass(frozen=True)
class _Event:
    """A sparse Kafka event (user_info or workout)."""

    t: float
    rank: int
    user_id: int
    topic: str
    value: str


class Generator:
    """Writes the sets of one spec in order, keeping cumulative tallies between them."""

    def __init__(self, spec: GeneratorSpec, scenario: Timeline | None = None) -> None:
        self.spec = spec
        self.scenario = scenario
        self._builder = None if scenario is not None else TimelineBuilder(spec)
        self.tallies = Tallies()
        self.written = 0
        self._stats: dict[tuple[int, int, int], SessionStats] = {}
        years = years_touched(spec, scenario)
        self.date_lines = date_lookup_rows(years)
        assert len(self.date_lines) == days_in(years)

    def timeline(self, n: int) -> Timeline:
        if self.scenario is not None:
            return self.scenario
        assert self._builder is not None
        return self._builder.build(n)

    def signal(self, v: Visit) -> Signal:
        return signal(self.spec.seed, v, self.spec.faults.invalid_bpm)

    def stats(self, v: Visit) -> SessionStats:
        key = (v.device_id, v.session_id, v.device_on)
        if key not in self._stats:
            self._stats[key] = session_stats(self.signal(v), v)
        return self._stats[key]

    def planned_records(self, n: int) -> int:
        """Records set n will hold before faults (for progress bars)."""
        tl = self.timeline(n)
        ws, we = self.spec.window(n)
        bpm = sum(max(0, min(v.device_off, we) - max(v.device_on, ws)) for v in tl.visits)
        inside = [v.start for v in tl.visits] + [v.stop for v in tl.visits]
        inside += [p.timestamp for p in tl.profiles] + [u.registration_timestamp for u in tl.users]
        inside += [v.login for v in tl.visits] + [v.logout for v in tl.visits]
        return bpm + sum(1 for t in inside if ws <= t < we)

    def catch_up(self, n: int, sink: Sink) -> None:
        """Bring the tallies to the end of set n: from set n's manifest in the sink when it
        was written by the same spec, else by replaying sets 1..n without landing them."""
        if self.written >= n:
            return
        raw = sink.read_bytes(manifest_path(n)) if n > 0 else None
        if raw is not None:
            previous = json.loads(raw)
            if previous.get("spec") == self.spec.describe():
                self.tallies = Tallies.from_manifest(previous)
                self.written = n
                return
        null = NullSink()
        while self.written < n:
            self.write_set(self.written + 1, null)

    def write_set(
        self, n: int, sink: Sink, progress: Progress | None = None,
        on_file: FileHook | None = None,
    ) -> SetResult:
        """Land set n (sets 1..n-1 must have been written or caught up) and its manifest."""
        if n != self.written + 1:
            raise ValueError(f"set {n} cannot be written after set {self.written}: call catch_up")
        if n > self.spec.sets:
            raise ValueError(f"set {n} is beyond the spec's sets={self.spec.sets}")
        began = time.perf_counter()
        tl = self.timeline(n)
        files: list[str] = []
        sources = {name: SourceStats() for name in ("date_lookup", REGISTERED_USERS, GYM_LOGINS,
                                                      KAFKA)}

        def land(res: FileResult) -> None:
            files.extend(res.paths)
            st = sources[res.source]
            st.files += len(res.paths)
            st.records += res.records
            st.bytes += res.bytes
            st.malformed += len(res.malformed)
            t = self.tallies
            setattr(t, f"{_BRONZE[res.source]}", getattr(t, _BRONZE[res.source]) + res.records)
            t.malformed.extend(res.malformed)
            copies = len(res.paths)
            t.faults["duplicate_records"] += res.duplicates
            t.faults["duplicate_files"] += copies - 1
            t.faults["malformed"] += len(res.malformed)
            t.faults["crlf_files"] += copies * res.crlf
            t.faults["blank_line_files"] += copies * res.blank_lines
            for key, value in res.extra.items():
                t.faults[key] += value
            if progress is not None and res.source != KAFKA:
                progress(res.records)
            if on_file is not None:
                on_file(res)

        data = ("\n".join(self.date_lines) + "\n").encode()
        sink.put_bytes(DATE_LOOKUP_PATH, data)
        files.append(DATE_LOOKUP_PATH)
        sources["date_lookup"] = SourceStats(1, len(self.date_lines), len(data), 0)
        self._write_users(n, tl, sink, land)
        self._write_gym(n, tl, sink, land)
        self._write_kafka(n, tl, sink, land, progress)
        manifest = build_manifest(
            self.spec, tl, n, self.tallies, self.stats, files, len(self.date_lines)
        )
        sink.put_bytes(manifest_path(n), (json.dumps(manifest, indent=1) + "\n").encode())
        self.written = n
        return SetResult(n, manifest, files, sources, time.perf_counter() - began)

    # -- CSV sources ------------------------------------------------------------------------

    def _write_users(self, n: int, tl: Timeline, sink: Sink, land: FileHook) -> None:
        ws, we = self.spec.window(n)
        new = sorted((u for u in tl.users if ws <= u.registration_timestamp < we),
                     key=lambda u: u.user_id)
        if not new:
            return
        rel = f"{USERS_DIR}/set-{n:04d}-part-0001.csv"
        fb = FileBuilder(sink, rel, REGISTERED_USERS, self.spec.faults, self.spec.seed,
                         REGISTERED_USERS_HEADER)
        fb.add([registered_user_row(u) for u in new])
        land(fb.finish())

    def _write_gym(self, n: int, tl: Timeline, sink: Sink, land: FileHook) -> None:
        """Logins land in the gym file of their time; some first without the logout."""
        spec = self.spec
        ws, we = spec.window(n)
        parts = spec.gym_files_per_set
        width = spec.set_seconds / parts

        def part(t: float) -> int:
            return min(parts - 1, int((t - ws) // width))

        rows: dict[int, list[tuple[tuple[float, str, int], str]]] = {}

        def put(p: int, v: Visit, closed: bool) -> None:
            text = gym_login_row(v.mac_address, v.gym, v.login, v.logout if closed else None)
            rows.setdefault(p, []).append(((v.login, v.mac_address, int(closed)), text))

        for v in tl.visits:
            if ws <= v.login < we:
                p = part(v.login)
                if v.logout >= we:
                    put(p, v, closed=False)  # the logout lands with a later set
                elif v.split_logout and p < parts - 1:
                    put(p, v, closed=False)
                    put(p + 1, v, closed=True)
                else:
                    put(p, v, closed=True)
            elif v.login < ws and ws <= v.logout < we:
                put(part(v.logout), v, closed=True)
        for p in sorted(rows):
            rel = f"{GYM_DIR}/set-{n:04d}-part-{p + 1:04d}.csv"
            fb = FileBuilder(sink, rel, GYM_LOGINS, spec.faults, spec.seed, GYM_LOGINS_HEADER)
            fb.add([text for _, text in sorted(rows[p])])
            land(fb.finish())

    # -- Kafka multiplex ---------------------------------------------------------------------

    def _events(self, n: int, tl: Timeline) -> list[_Event]:
        ws, we = self.spec.window(n)
        events = [_Event(p.timestamp, 0, p.user_id, "user_info", user_info_value(p))
                  for p in tl.profiles if ws <= p.timestamp < we]
        for v in tl.visits:
            for t, action in ((v.start, "start"), (v.stop, "stop")):
                if ws <= t < we:
                    events.append(_Event(t, 1, v.user_id, "workout", workout_value(v, action)))
        events.sort(key=lambda e: (e.t, e.rank, e.user_id))
        return events

    def _slices(self, n: int, tl: Timeline) -> Iterator[_Slice]:
        """Event-time slices of set n: BPM readings and sparse events, merged in time order."""
        spec = self.spec
        ws, we = spec.window(n)
        visits = sorted((v for v in tl.visits if v.device_on < we and v.device_off > ws),
                        key=lambda v: (v.device_on, v.device_id))
        events = self._events(n, tl)
        ev_t = np.array([e.t for e in events], dtype=np.float64)
        cache: dict[int, Signal] = {}
        counters: dict[tuple[str, int], int] = {}
        a = ws
        while a < we:
            b = min(a + spec.file_seconds, we)
            times, devices, tenths = [], [], []
            for i, v in enumerate(visits):
                if v.device_on >= b:
                    break
                if v.device_off <= a:
                    cache.pop(i, None)
                    continue
                sig = cache.get(i)
                if sig is None:
                    sig = cache[i] = self.signal(v)
                lo, hi = np.searchsorted(sig.time, [a, b])
                if hi > lo:
                    times.append(sig.time[lo:hi])
                    tenths.append(sig.tenths[lo:hi])
                    devices.append(np.full(hi - lo, v.device_id, dtype=np.int64))
            j0, j1 = (int(x) for x in np.searchsorted(ev_t, [a, b]))
            if times or j1 > j0:
                yield _Slice.build(times, devices, tenths, events[j0:j1], n, counters)
            a = b

    def _write_kafka(
        self, n: int, tl: Timeline, sink: Sink, land: FileHook, progress: Progress | None
    ) -> None:
        spec, faults = self.spec, self.spec.faults
        chunks = (
            (sl, s, min(s + spec.max_records_per_file, sl.size))
            for sl in self._slices(n, tl)
            for s in range(0, sl.size, spec.max_records_per_file)
        )
        carry: list[str] = []
        part = 0
        current = next(chunks, None)
        while current is not None:
            following = next(chunks, None)
            sl, s, e = current
            part += 1
            rel = f"{KAFKA_DIR}/set-{n:04d}-part-{part:04d}.json"
            g = rng(spec.seed, "faults", "kafka", rel)
            m = e - s
            late = np.zeros(m, dtype=bool)
            if faults.late > 0 and following is not None:
                mt = sl.time[s:e]
                tmax = float(mt.max())
                near = (mt >= tmax - spec.late_max_seconds) & (mt < tmax)
                late = near & (g.random(m) < faults.late)
                if late.any():
                    lag = float(tmax - mt[late].min())
                    self.tallies.max_lateness_seconds = max(self.tallies.max_lateness_seconds, lag)
            seconds = np.zeros(m, dtype=bool)
            if faults.seconds_timestamps > 0:
                seconds = g.random(m) < faults.seconds_timestamps
            fb = FileBuilder(sink, rel, KAFKA, faults, spec.seed)
            fb.add(carry)
            carry = []
            invalid = 0
            for bs in range(s, e, BLOCK):
                be = min(bs + BLOCK, e)
                lines, bad = sl.lines(bs, be, seconds[bs - s:be - s])
                invalid += bad
                is_late = late[bs - s:be - s]
                if is_late.any():
                    carry.extend(x for x, lt in zip(lines, is_late.tolist(), strict=True) if lt)
                    lines = [x for x, lt in zip(lines, is_late.tolist(), strict=True) if not lt]
                fb.add(lines)
                if progress is not None:
                    progress(be - bs)
            res = fb.finish()
            res.extra = {"late_records": int(late.sum()), "seconds_timestamps": int(seconds.sum()),
                         "invalid_bpm": invalid}
            land(res)
            current = following


_BRONZE = {
    REGISTERED_USERS: "registered_users_bz",
    GYM_LOGINS: "gym_logins_bz",
    KAFKA: "kafka_multiplex_bz",
}


@dataclass
class _Slice:
    """Records of one event-time slice in landing order (BPM and sparse events merged)."""

    time: np.ndarray  # event time of each merged record (float64)
    kind: np.ndarray  # 0 = BPM reading, 1 = sparse event
    index: np.ndarray  # into the BPM arrays or ``events``
    b_time: np.ndarray
    b_device: np.ndarray
    b_tenths: np.ndarray
    b_partition: np.ndarray
    b_offset: np.ndarray
    events: list[_Event]
    e_partition: list[int]
    e_offset: list[int]

    @property
    def size(self) -> int:
        return int(self.kind.size)

    @classmethod
    def build(
        cls, times: list[np.ndarray], devices: list[np.ndarray], tenths: list[np.ndarray],
        events: list[_Event], n: int, counters: dict[tuple[str, int], int],
    ) -> _Slice:
        bt = np.concatenate(times) if times else np.zeros(0, dtype=np.int64)
        bd = np.concatenate(devices) if devices else np.zeros(0, dtype=np.int64)
        bh = np.concatenate(tenths) if tenths else np.zeros(0, dtype=np.int32)
        order = np.lexsort((bd, bt))
        bt, bd, bh = bt[order], bd[order], bh[order]
        bp = bd % KAFKA_PARTITIONS
        boff = np.empty(bt.size, dtype=np.int64)
        for p in range(KAFKA_PARTITIONS):
            mask = bp == p
            base = counters.get(("bpm", p), n * OFFSET_BASE)
            count = int(mask.sum())
            boff[mask] = base + np.arange(count, dtype=np.int64)
            counters[("bpm", p)] = base + count
        e_part, e_off = [], []
        for ev in events:
            p = ev.user_id % KAFKA_PARTITIONS
            base = counters.get((ev.topic, p), n * OFFSET_BASE)
            e_part.append(p)
            e_off.append(base)
            counters[(ev.topic, p)] = base + 1
        ns = len(events)
        total = bt.size + ns
        kind = np.zeros(total, dtype=np.int8)
        index = np.empty(total, dtype=np.int64)
        mtime = np.empty(total, dtype=np.float64)
        et = np.array([e.t for e in events], dtype=np.float64)
        pos = np.searchsorted(bt, et, side="left") + np.arange(ns)
        kind[pos] = 1
        index[pos] = np.arange(ns)
        mtime[pos] = et
        is_b = kind == 0
        index[is_b] = np.arange(bt.size)
        mtime[is_b] = bt
        return cls(mtime, kind, index, bt, bd, bh, bp, boff, events, e_part, e_off)

    def lines(self, s: int, e: int, seconds: np.ndarray) -> tuple[list[str], int]:
        """Lines of merged records s..e (``seconds``: timestamp in epoch seconds)."""
        kinds = self.kind[s:e]
        idx = self.index[s:e]
        is_b = kinds == 0
        bi = idx[is_b]
        bt = self.b_time[bi]
        ts = bt * 1000
        sec_b = seconds[is_b]
        ts[sec_b] = bt[sec_b]
        tenths = self.b_tenths[bi]
        blines = bpm_lines(self.b_device[bi], bt, tenths, self.b_partition[bi],
                           self.b_offset[bi], ts)
        if not (~is_b).any():
            return blines, int((tenths <= 0).sum())
        slines = []
        for j, sec in zip(idx[~is_b].tolist(), seconds[~is_b].tolist(), strict=True):
            ev = self.events[j]
            stamp = math.floor(ev.t) if sec else round(ev.t * 1000)
            slines.append(kafka_line(str(ev.user_id), ev.value, ev.topic, self.e_partition[j],
                                     self.e_offset[j], stamp))
        it_b, it_s = iter(blines), iter(slines)
        return [next(it_s) if k else next(it_b) for k in kinds.tolist()], int((tenths <= 0).sum())
