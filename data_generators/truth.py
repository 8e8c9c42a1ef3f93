"""Ground truth: what a correct pipeline holds after sets 1..N, from the generator's own knowledge.

Nothing here runs Spark. Silver and gold follow docs/domain.md's rules, computed
from the timeline (which events landed by the end of set N) and the BPM
signal (which readings fall inside which session). Bronze counts and the
malformed lines come from the file writers (``Tallies``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from data_generators.bpm import SessionStats
from data_generators.formats import iso
from data_generators.model import Profile, Timeline, Visit
from data_generators.spec import GeneratorSpec
from data_generators.timeline import date_at

MAX_SESSION_SECONDS = 3 * 3600
MANIFEST_DIR = "ground_truth"
FAULT_COUNTERS = (
    "duplicate_records", "duplicate_files", "late_records", "invalid_bpm", "malformed",
    "seconds_timestamps", "crlf_files", "blank_line_files",
)


def manifest_path(n: int) -> str:
    return f"{MANIFEST_DIR}/set-{n:04d}.json"


@dataclass
class Tallies:
    """Cumulative bronze counts and fault counts of what was landed."""

    registered_users_bz: int = 0
    gym_logins_bz: int = 0
    kafka_multiplex_bz: int = 0
    malformed: list[dict[str, Any]] = field(default_factory=list)
    faults: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAULT_COUNTERS, 0))
    max_lateness_seconds: float = 0.0

    @classmethod
    def from_manifest(cls, m: dict[str, Any]) -> Tallies:
        c = m["counts"]
        return cls(
            registered_users_bz=c["registered_users_bz"], gym_logins_bz=c["gym_logins_bz"],
            kafka_multiplex_bz=c["kafka_multiplex_bz"], malformed=list(m["malformed"]),
            faults=dict(m["fault_counts"]), max_lateness_seconds=m["max_lateness_seconds"],
        )


AGE_BINS = [(18, "18-25"), (25, "25-35")] + [(a, f"{a}-{a + 10}") for a in range(35, 95, 10)]


def age_years(dob: date, on: date) -> int:
    """Whole years of age on a day."""
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def age_bin(age: int) -> str:
    """under 18, 18-25, 25-35, 35-45, ..., 85-95, 95+ (lower bound inclusive)."""
    if age < 18:
        return "under 18"
    if age >= 95:
        return "95+"
    label = "under 18"
    for low, name in AGE_BINS:
        if age >= low:
            label = name
    return label


def years_touched(spec: GeneratorSpec, timeline: Timeline | None = None) -> list[int]:
    """Every year the events of the spec's sets (and a scenario's events) touch."""
    first, _ = spec.window(1)
    _, last = spec.window(spec.sets)
    lo, hi = date_at(first).year, date_at(last + 86_400).year
    if timeline is not None and timeline.visits:
        lo = min(lo, date_at(min(v.device_on for v in timeline.visits)).year)
        hi = max(hi, date_at(max(v.device_off for v in timeline.visits)).year)
    return list(range(lo, hi + 1))


def days_in(years: list[int]) -> int:
    return sum((date(y + 1, 1, 1) - date(y, 1, 1)).days for y in years)


def build_manifest(
    spec: GeneratorSpec, timeline: Timeline, n: int, tallies: Tallies,
    stats: Callable[[Visit], SessionStats], files: list[str], date_rows: int,
) -> dict[str, Any]:
    """The cumulative ground truth after set n (see the package docstring for the shape)."""
    end = spec.window(n)[1]
    users = [u for u in timeline.users if u.registration_timestamp < end]
    user_of_mac = {u.mac_address: u.user_id for u in users}
    newest: dict[int, Profile] = {}
    for p in timeline.profiles:
        old = newest.get(p.user_id)
        if p.timestamp < end and (old is None or p.timestamp > old.timestamp):
            newest[p.user_id] = p
    bins = {
        uid: (age_bin(age_years(p.dob, date_at(p.timestamp))), p.gender, p.address.city,
              p.address.state)
        for uid, p in newest.items()
    }
    heart_rate = sum(
        max(0, min(v.device_off, end) - v.device_on) for v in timeline.visits if v.device_on < end
    )
    workout_events = {(v.user_id, v.start) for v in timeline.visits if v.start < end}
    workout_events |= {(v.user_id, v.stop) for v in timeline.visits if v.stop < end}
    completed = sorted(
        (v for v in timeline.visits
         if v.stop < end and v.stop - v.start <= MAX_SESSION_SECONDS),
        key=lambda v: (v.user_id, v.session_id, v.workout_id),
    )
    completed_rows = [
        {"user_id": v.user_id, "workout_id": v.workout_id, "session_id": v.session_id,
         "start_time": iso(v.start), "end_time": iso(v.stop)}
        for v in completed
    ]
    summary_rows = []
    workout_bpm = 0
    for v in completed:
        s = stats(v)
        workout_bpm += s.count
        if s.count == 0 or v.user_id not in bins:
            continue
        age, gender, city, state = bins[v.user_id]
        summary_rows.append({
            "user_id": v.user_id, "workout_id": v.workout_id, "session_id": v.session_id,
            "age": age, "gender": gender, "city": city, "state": state,
            "min_bpm": s.min_tenths / 10, "avg_bpm": s.avg, "max_bpm": s.max_tenths / 10,
            "num_recordings": s.count,
        })
    gym_visits = [v for v in timeline.visits if v.login < end]
    done_by_user: dict[int, list[Visit]] = {}
    for v in completed:
        done_by_user.setdefault(v.user_id, []).append(v)
    gym_rows = []
    for g in sorted(gym_visits, key=lambda v: (v.login, v.mac_address, v.gym)):
        if g.logout >= end or g.mac_address not in user_of_mac:
            continue  # logout not landed yet: the visit has no end in gym_logs
        for w in done_by_user.get(user_of_mac[g.mac_address], []):
            if g.login <= w.start <= g.logout:
                gym_rows.append({
                    "date": date_at(g.login).isoformat(), "gym": g.gym,
                    "mac_address": g.mac_address, "workout_id": w.workout_id,
                    "session_id": w.session_id, "minutes_in_gym": (g.logout - g.login) / 60,
                    "minutes_exercising": (w.stop - w.start) / 60,
                })
    counts = {
        "registered_users_bz": tallies.registered_users_bz,
        "gym_logins_bz": tallies.gym_logins_bz,
        "kafka_multiplex_bz": tallies.kafka_multiplex_bz,
        "quarantine": len(tallies.malformed),
        "date_lookup": date_rows,
        "users": len(users),
        "gym_logs": len({(v.mac_address, v.gym, v.login) for v in gym_visits}),
        "user_profile": len(newest),
        "heart_rate": heart_rate,
        "workouts": len(workout_events),
        "completed_workouts": len(completed_rows),
        "workout_bpm": workout_bpm,
        "user_bins": len(bins),
        "workout_bpm_summary": len(summary_rows),
        "gym_summary": len(gym_rows),
    }
    return {
        "set": n,
        "seed": spec.seed,
        "scale": spec.scale,
        "faults": spec.faults.as_dict(),
        "late_max_seconds": spec.late_max_seconds,
        "counts": counts,
        "rows": {
            "completed_workouts": completed_rows,
            "workout_bpm_summary": summary_rows,
            "gym_summary": gym_rows,
        },
        "malformed": list(tallies.malformed),
        "files": list(files),
        "fault_counts": dict(tallies.faults),
        "max_lateness_seconds": tallies.max_lateness_seconds,
        "spec": spec.describe(),
    }
