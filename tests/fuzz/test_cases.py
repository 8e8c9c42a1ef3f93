"""The hostile cases themselves (no Spark): seeded, replayable, every kind, sound expectations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.platform.config import load_config
from app.platform.storage import storage_target
from tests.fuzz.cases import KINDS, Bad, judge_garbage, make_cases
from tests.fuzz.material import (
    GYM_DIR,
    KAFKA_DIR,
    USERS_DIR,
    LandedFile,
    Material,
    case_file,
    is_case_path,
)
from tests.fuzz.runner import case_path, storage_names


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
    assert all(p.startswith((KAFKA_DIR, USERS_DIR, GYM_DIR)) and is_case_path(p) for p in paths)
    for case in cases:
        for f in case.files:
            lines = [x for x in f.data.splitlines() if x.strip()]
            assert f.good + len(f.bad) <= max(len(lines), 1) or f.rewrite_of, case


def test_garbage_is_judged_line_by_line():
    data = b"abc\n\n \t\n\xef\xbb\xbf\r\n\xff\xfe{\r" + b" " * 70 + b"\n"
    assert judge_garbage(data) == [Bad("", "abc"), Bad("", None), Bad("", " " * 70)]


@pytest.mark.parametrize("target", ["local", "azurite"])
def test_landed_files_are_told_apart_by_their_name_not_by_the_url_around_them(target, tmp_path):
    # make fuzz names its containers fuzz-...: every source_file URL holds "/fuzz-",
    # the normal set's files too. Only the path inside the data zone tells them apart.
    config = load_config(env={}, dotenv=Path("/nonexistent"), storage=target,
                         home=str(tmp_path), **storage_names("0123abcd"))
    zone = storage_target(config).url("data_zone")
    assert "/fuzz-" in zone + "/"
    normals = (f"{KAFKA_DIR}/set-0001-part-0002.json", f"{KAFKA_DIR}/set-0001-part-0002-dup.json",
               f"{USERS_DIR}/set-0003-part-0001.csv", f"{GYM_DIR}/set-0002-part-0001.csv")
    for normal in normals:
        assert case_path(f"{zone}/{normal}") is None, normal
    cases = make_cases(5, 1, 2 * len(KINDS), material())
    for path in {f.path for c in cases for f in c.files}:
        assert case_path(f"{zone}/{path}") == path
    hostile = case_file(GYM_DIR, "r1-c1-1", "csv")
    assert hostile == f"{GYM_DIR}/fuzz-r1-c1-1.csv"
    assert case_path(f"{zone}/{hostile}") == hostile
