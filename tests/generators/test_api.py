"""The engine end to end (no Spark): determinism, set-at-a-time, bronze truth, faults."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

from data_generators import Faults, GeneratorSpec, generate_set, generate_sets
from data_generators.spec import ALL_FAULTS_RATES
from tests.generators.landed import lines_of, read_landed

FAULTY = Faults(**{**ALL_FAULTS_RATES, "malformed": 0.01})


def digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(tmp_path: Path, tiny_spec: GeneratorSpec) -> None:
    spec = tiny_spec.replace(faults=FAULTY)
    generate_sets(spec, tmp_path / "a")
    generate_sets(spec, tmp_path / "b")
    a, b = digest(tmp_path / "a"), digest(tmp_path / "b")
    assert a == b
    assert len(a) > 10


def test_other_seed_other_bytes(tmp_path: Path, tiny_spec: GeneratorSpec) -> None:
    generate_sets(tiny_spec, tmp_path / "a")
    generate_sets(tiny_spec.replace(seed=8), tmp_path / "b")
    a, b = digest(tmp_path / "a"), digest(tmp_path / "b")
    assert a.keys() & b.keys()
    assert all(a[k] != b[k] for k in a.keys() & b.keys() if "/raw/" in f"/{k}")


def test_one_set_at_a_time_equals_a_run(tmp_path: Path, tiny_spec: GeneratorSpec) -> None:
    spec = tiny_spec.replace(faults=FAULTY)
    whole = generate_sets(spec, tmp_path / "whole")
    first = generate_set(spec, 1, tmp_path / "steps")
    second = generate_set(spec, 2, tmp_path / "steps")  # tallies from set-0001.json
    replayed = generate_set(spec, 2, tmp_path / "alone")  # tallies by replaying set 1
    assert [first.manifest, second.manifest] == [r.manifest for r in whole]
    assert replayed.manifest == whole[1].manifest
    assert digest(tmp_path / "steps") == digest(tmp_path / "whole")


def test_layout_and_names(tmp_path: Path, tiny_spec: GeneratorSpec) -> None:
    results = generate_sets(tiny_spec.replace(faults=FAULTY), tmp_path)
    names = [p for p in digest(tmp_path)]
    for path in names:
        assert not Path(path).name.startswith((".", "_")), path
        top = path.split("/")[0]
        assert top in ("raw", "test_data", "ground_truth"), path
    assert "test_data/date_lookup.json" in names
    assert "ground_truth/set-0002.json" in names
    for r in results:
        assert r.files == r.manifest["files"]
        for f in r.files:
            assert (tmp_path / f).is_file()
            if f.startswith("raw/"):
                assert Path(f).name.startswith(f"set-{r.set:04d}-part-")
    on_disk = json.loads((tmp_path / "ground_truth/set-0002.json").read_text())
    assert on_disk == results[1].manifest


def test_bronze_and_silver_counts_match_the_files(tmp_path: Path, tiny_spec: GeneratorSpec) -> None:
    spec = tiny_spec.replace(faults=FAULTY)
    manifest = generate_sets(spec, tmp_path)[-1].manifest
    landed = read_landed(tmp_path)
    counts = manifest["counts"]
    for table, n in landed.counts.items():
        assert counts[table] == n, table
    assert {(m["source_file"], m["line"]) for m in manifest["malformed"]} == landed.bad
    assert counts["quarantine"] == len(landed.bad) > 0
    for m in manifest["malformed"]:
        lines = dict(lines_of(tmp_path / m["source_file"]))
        assert lines[m["line"]] == m["raw"]
    # Silver keys, recomputed from the landed records.
    values = [(r["topic"], json.loads(r["value"])) for r in landed.records["kafka_multiplex_bz"]]
    bpm = {(v["device_id"], v["time"]) for t, v in values if t == "bpm"}
    workouts = {(v["user_id"], float(v["timestamp"])) for t, v in values if t == "workout"}
    assert counts["heart_rate"] == len(bpm)
    assert counts["workouts"] == len(workouts)
    assert counts["users"] == len({r["user_id"] for r in landed.records["registered_users_bz"]})
    gym_keys = {(r["mac_address"], r["gym"], float(r["login"]))
                for r in landed.records["gym_logins_bz"]}
    assert counts["gym_logs"] == len(gym_keys)
    invalid = sum(1 for t, v in values if t == "bpm" and v["heartrate"] <= 0)
    assert invalid > 0


def test_faults_are_counted(tmp_path: Path, tiny_spec: GeneratorSpec) -> None:
    spec = tiny_spec.replace(faults=FAULTY)
    manifest = generate_sets(spec, tmp_path)[-1].manifest
    fc = manifest["fault_counts"]
    for name in ("duplicate_records", "late_records", "invalid_bpm", "malformed",
                 "seconds_timestamps"):
        assert fc[name] > 0, name
    assert 0 < manifest["max_lateness_seconds"] <= manifest["late_max_seconds"]
    raw = b"".join((tmp_path / f).read_bytes() for f in manifest["files"] if f.startswith("raw/"))
    assert (b"\r\n" in raw) == (fc["crlf_files"] > 0)
    seconds = 0
    for _, line in lines_of_all(tmp_path):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec.get("timestamp"), int) and rec["timestamp"] < 10**11:
            seconds += 1
    assert seconds >= fc["seconds_timestamps"]


def lines_of_all(root: Path):  # type: ignore[no-untyped-def]
    for path in sorted((root / "raw/kafka_multiplex_bz").glob("*.json")):
        yield from lines_of(path)


def test_late_records_arrive_in_a_later_file_within_the_bound(
    tmp_path: Path, tiny_spec: GeneratorSpec
) -> None:
    spec = tiny_spec.replace(faults=Faults(late=0.05), file_seconds=3600)
    manifest = generate_sets(spec, tmp_path)[-1].manifest
    assert manifest["fault_counts"]["late_records"] > 0
    landed_max = float("-inf")
    late = 0
    for path in sorted((tmp_path / "raw/kafka_multiplex_bz").glob("*.json")):
        file_max = landed_max
        for _, line in lines_of(path):
            rec = json.loads(line)
            t = rec["timestamp"] / 1000
            if t < landed_max:
                late += 1
                assert landed_max - t <= spec.late_max_seconds
            file_max = max(file_max, t)
        landed_max = file_max
    assert late == manifest["fault_counts"]["late_records"]


def test_cross_set_session(tmp_path: Path, tiny_spec: GeneratorSpec) -> None:
    first, second = generate_sets(tiny_spec, tmp_path)
    done1 = {(r["user_id"], r["session_id"]) for r in first.manifest["rows"]["completed_workouts"]}
    done2 = {(r["user_id"], r["session_id"]): r
             for r in second.manifest["rows"]["completed_workouts"]}
    carried = [k for k in done2 if k not in done1 and k[0] == 10_001]
    assert carried, "a session of set 1 must complete in set 2"
    row = done2[carried[0]]
    set1_end = "2023-03-08T00:00:00"
    assert row["start_time"] < set1_end <= row["end_time"]
    # Its gym visit lands without logout in set 1 and is closed by set 2.
    open_rows = [line for _, line in lines_of(tmp_path / "raw/gym_logins_bz/"
                                              "set-0001-part-0002.csv") if line.endswith(",")]
    assert open_rows
    # + the carried session's visit + set 2's two visits
    gym1, gym2 = (r.manifest["counts"]["gym_summary"] for r in (first, second))
    assert gym1 + 1 + 2 == gym2


def test_reference_set_size() -> None:
    from data_generators.engine import Generator

    gen = Generator(GeneratorSpec(sets=1))
    n = gen.planned_records(1)
    assert 200_000 <= n <= 300_000
    assert GeneratorSpec(scale=100).users_in_set == 400


def test_start_is_respected(tmp_path: Path) -> None:
    from datetime import timezone

    spec = GeneratorSpec(sets=1, users_per_set=1, visits_per_user=1,
                         start=datetime(2024, 12, 31, tzinfo=timezone.utc))
    (result,) = generate_sets(spec, tmp_path)
    assert result.manifest["counts"]["date_lookup"] == 366 + 365  # 2024 is a leap year
    assert all(r["start_time"].startswith("2024-12-31")
               for r in result.manifest["rows"]["completed_workouts"])
