from __future__ import annotations

import json

import numpy as np

from data_generators.formats import (
    bpm_lines,
    bpm_time_text,
    date_lookup_rows,
    fmt_epoch,
    iso,
    kafka_line,
)


def test_bpm_fast_path_equals_the_generic_record() -> None:
    t = 1678089900
    line = bpm_lines(np.array([5]), np.array([t]), np.array([-10]), np.array([1]),
                     np.array([9]), np.array([t * 1000]))[0]
    value = json.dumps({"device_id": 5, "time": "2023-03-06 08:05:00", "heartrate": -1.0},
                       separators=(",", ":"))
    assert line == kafka_line("5", value, "bpm", 1, 9, t * 1000)
    assert json.loads(json.loads(line)["value"])["heartrate"] == -1.0


def test_epoch_text_varies_like_real_exports() -> None:
    assert fmt_epoch(1678451168.0) in ("1678451168", "1678451168.0")
    assert {fmt_epoch(float(x)) for x in range(1678451160, 1678451163)} >= {"1678451160",
                                                                           "1678451161.0"}
    assert fmt_epoch(1678451168.125) == "1678451168.125"


def test_times() -> None:
    assert iso(1678089900.5) == "2023-03-06T08:05:00.500000"
    assert bpm_time_text(1678089900) == "2023-03-06 08:05:00"


def test_date_lookup_rows() -> None:
    rows = [json.loads(r) for r in date_lookup_rows([2023, 2024])]
    assert len(rows) == 365 + 366
    by_date = {r["date"]: r for r in rows}
    assert by_date["2023-03-05"]["dayofweek"] == 1  # a Sunday
    assert by_date["2023-03-11"]["dayofweek"] == 7
    assert by_date["2023-03-10"] == {
        "date": "2023-03-10", "week": 10, "year": 2023, "month": 3, "dayofweek": 6,
        "dayofmonth": 10, "dayofyear": 69, "week_part": "2023-10",
    }
