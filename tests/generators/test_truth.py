"""Ground truth of the hand-worked scenario against numbers worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_generators import Faults, generate_sets
from data_generators.truth import age_bin, age_years

# --- worked by hand (see the scenario's docstring in conftest.py) ---
# A: readings 07:55:00..09:24:59 = 90 min = 5400. Inside (08:05:00, 09:10:00]: 08:05:01..09:10:00
#    = 65 min = 3900 readings; the first is reading k=601 (601 % 3 = 1 -> 110), 3900 = 1300
#    whole cycles: each of 100/110/120 1300 times -> min 100, avg 110, max 120.
# B: readings 10:50:00..12:39:59 = 110 min = 6600. Inside (11:10:00.5, 12:20:30.5]:
#    11:10:01..12:20:30 = 4230 readings, first k=1201 (1201 % 4 = 1 -> 0). 4230 = 1057 cycles
#    + 2 (values 0, 100): 0 x1058 (invalid), 80 x1057, 100 x1058, 120 x1057 -> 3172 valid,
#    sum 80*1057 + 100*1058 + 120*1057 = 317200 -> avg 100.0, min 80, max 120.
# Kafka: 5400 + 6600 BPM + 3 user_info + 4 workout = 12007 records.
# B is born 2005-03-06: 18 on 2023-03-06 (bin lower bound inclusive -> "18-25");
# A (1990-05-20) is 32 -> "25-35".
EXPECTED_COUNTS = {
    "registered_users_bz": 2, "gym_logins_bz": 2, "kafka_multiplex_bz": 12007, "quarantine": 0,
    "date_lookup": 365, "users": 2, "gym_logs": 2, "user_profile": 2, "heart_rate": 12000,
    "workouts": 4, "completed_workouts": 2, "workout_bpm": 3900 + 3172, "user_bins": 2,
    "workout_bpm_summary": 2, "gym_summary": 2,
}


def test_hand_worked_counts(tmp_path: Path, hand_spec, hand_scenario) -> None:
    (result,) = generate_sets(hand_spec, tmp_path, scenario=hand_scenario)
    assert result.manifest["counts"] == EXPECTED_COUNTS
    assert result.manifest["malformed"] == []


def test_hand_worked_rows(tmp_path: Path, hand_spec, hand_scenario) -> None:
    (result,) = generate_sets(hand_spec, tmp_path, scenario=hand_scenario)
    rows = result.manifest["rows"]
    assert rows["completed_workouts"] == [
        {"user_id": 1, "workout_id": 7, "session_id": 1,
         "start_time": "2023-03-06T08:05:00.000000", "end_time": "2023-03-06T09:10:00.000000"},
        {"user_id": 2, "workout_id": 3, "session_id": 1,
         "start_time": "2023-03-06T11:10:00.500000", "end_time": "2023-03-06T12:20:30.500000"},
    ]
    assert rows["workout_bpm_summary"] == [
        {"user_id": 1, "workout_id": 7, "session_id": 1, "age": "25-35", "gender": "F",
         "city": "Springfield", "state": "IL", "min_bpm": 100.0, "avg_bpm": 110.0,
         "max_bpm": 120.0, "num_recordings": 3900},
        {"user_id": 2, "workout_id": 3, "session_id": 1, "age": "18-25", "gender": "M",
         "city": "Shelbyville", "state": "IN", "min_bpm": 80.0, "avg_bpm": 100.0,
         "max_bpm": 120.0, "num_recordings": 3172},
    ]
    assert rows["gym_summary"] == [
        {"date": "2023-03-06", "gym": 1, "mac_address": "aa:aa:aa:aa:aa:01", "workout_id": 7,
         "session_id": 1, "minutes_in_gym": 80.0, "minutes_exercising": 65.0},
        {"date": "2023-03-06", "gym": 2, "mac_address": "bb:bb:bb:bb:bb:02", "workout_id": 3,
         "session_id": 1, "minutes_in_gym": 90.5, "minutes_exercising": 70.5},
    ]


def test_duplicates_grow_bronze_not_silver(tmp_path: Path, hand_spec, hand_scenario) -> None:
    spec = hand_spec.replace(faults=Faults(duplicates=0.05, duplicate_files=0.5))
    (result,) = generate_sets(spec, tmp_path, scenario=hand_scenario)
    counts = result.manifest["counts"]
    extra = result.manifest["fault_counts"]
    assert counts["kafka_multiplex_bz"] > 12007
    silver = {k: v for k, v in counts.items() if not k.endswith("_bz")}
    assert silver == {k: v for k, v in EXPECTED_COUNTS.items() if not k.endswith("_bz")}
    assert extra["duplicate_records"] > 0
    assert extra["duplicate_files"] > 0
    assert counts["quarantine"] == 0


@pytest.mark.parametrize(
    ("age", "label"),
    [(0, "under 18"), (17, "under 18"), (18, "18-25"), (24, "18-25"), (25, "25-35"),
     (35, "35-45"), (84, "75-85"), (85, "85-95"), (94, "85-95"), (95, "95+"), (120, "95+")],
)
def test_age_bins(age: int, label: str) -> None:
    assert age_bin(age) == label


def test_age_in_whole_years() -> None:
    from datetime import date

    assert age_years(date(2005, 3, 6), date(2023, 3, 6)) == 18
    assert age_years(date(2005, 3, 7), date(2023, 3, 6)) == 17
