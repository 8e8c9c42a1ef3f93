"""The hostile cases themselves (no Spark): seeded, replayable, every kind, sound expectations."""

from __future__ import annotations

import json

from tests.fuzz.cases import KINDS, Bad, judge_garbage, make_cases
from tests.fuzz.material import GYM_DIR, KAFKA_DIR, USERS_DIR, LandedFile, Material


def material() -> Material:
    def kafka(topic: str, value: dict, offset: int) -> dict:
        return {"key": "1", "value": json.dumps(value), "topic": topic, "partition": 0,
                "offset": offset, "timestamp": 1678435200000}

    records = [
        kafka("bpm", {"device_id": 11, "time": "2023-03-10 08:00:00", "heartrate": 90.0}, 1),
        kafka("workout", {"user_id": 1, "workout_id": 3, "timestamp": 1678435200.0,
                          "action": "start", "session_id": 5}, 2),
        kafka("user_info", {"user_id": 1, "update_type": "new", "timestamp": 1678435200.0,
                            "dob": "01/15/1990"}, 3),
    ]
    users = [["1", "11", "aa:01", "1678400000.0"]]
    gym = [["aa:01", "7", "1678435200", "1678440600.0"]]
    data = ("\n".join(json.dumps(r) for r in records) + "\n").encode()
    return Material(kafka=records, users=users, gym=gym,
                    files=[LandedFile(f"{KAFKA_DIR}/set-0001-part-0001.json", data, 3, 0)])


def test_same_seed_same_cases_and_every_kind_comes_up():
    a = make_cases(7, 1, 3 * len(KINDS), material())
    b = make_cases(7, 1, 3 * len(KINDS), material())
    assert [(c.kind, [(f.path, f.data) for f in c.files]) for c in a] == \
        [(c.kind, [(f.path, f.data) for f in c.files]) for c in b]
    assert {c.kind for c in a} == set(KINDS)


def test_every_case_lands_in_a_landing_folder_with_unique_names():
    cases = make_cases(3, 2, 5 * len(KINDS), material())
    paths = [f.path for c in cases for f in c.files if f.rewrite_of is None]
    assert len(paths) == len(set(paths))
    assert all(p.startswith((KAFKA_DIR, USERS_DIR, GYM_DIR)) and "/fuzz-" in p for p in paths)
    for case in cases:
        for f in case.files:
            lines = [x for x in f.data.splitlines() if x.strip()]
            assert f.good + len(f.bad) <= max(len(lines), 1) or f.rewrite_of, case


def test_garbage_is_judged_line_by_line():
    data = b"abc\n\n \t\n\xef\xbb\xbf\r\n\xff\xfe{\r" + b" " * 70 + b"\n"
    assert judge_garbage(data) == [Bad("", "abc"), Bad("", None), Bad("", " " * 70)]
