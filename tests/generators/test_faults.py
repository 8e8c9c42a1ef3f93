from __future__ import annotations

import json
from pathlib import Path

import pytest

from data_generators.faults import GYM_LOGINS, KAFKA, REGISTERED_USERS, FileBuilder, corrupt
from data_generators.sinks import FolderSink
from data_generators.spec import Faults
from tests.generators.landed import well_formed

KAFKA_LINE = ('{"key":"1","value":"{}","topic":"bpm","partition":0,"offset":5,'
              '"timestamp":1678089900000}')


@pytest.mark.parametrize("choice", [0, 1, 2])
@pytest.mark.parametrize(
    ("kind", "table", "line"),
    [(KAFKA, "kafka_multiplex_bz", KAFKA_LINE),
     (REGISTERED_USERS, "registered_users_bz", "10001,5000001,aa:bb:cc:dd:ee:ff,1678089900.0"),
     (GYM_LOGINS, "gym_logins_bz", "aa:bb:cc:dd:ee:ff,2,1678089900.0,1678093500")],
)
def test_corrupt_lines_are_not_well_formed(kind: str, table: str, line: str, choice: int) -> None:
    assert well_formed(table, line) is not None
    raw, reason = corrupt(kind, line, choice)
    assert well_formed(table, raw) is None, reason
    assert reason.split(":")[0] in ("broken json", "wrong type", "missing field")


def test_builder_records_line_numbers(tmp_path: Path) -> None:
    faults = Faults(duplicates=0.3, malformed=0.3, crlf=1.0, blank_lines=1.0)
    fb = FileBuilder(FolderSink(tmp_path), "raw/x/set-0001-part-0001.json", KAFKA, faults, 1)
    lines = [KAFKA_LINE.replace('"offset":5', f'"offset":{i}') for i in range(50)]
    fb.add(lines)
    res = fb.finish()
    text = (tmp_path / res.paths[0]).read_bytes().decode()
    assert "\r\n" in text and text.endswith("\r\n\r\n")
    got = text.split("\r\n")
    assert res.malformed
    for m in res.malformed:
        assert got[m["line"] - 1] == m["raw"]
    good = [x for x in got if x and well_formed("kafka_multiplex_bz", x)]
    assert len(good) == res.records == 50 + res.duplicates
    assert [json.loads(x)["offset"] for x in good][:1] == [0]


def test_duplicate_file_counts_twice(tmp_path: Path) -> None:
    fb = FileBuilder(FolderSink(tmp_path), "raw/x/set-0001-part-0001.csv", GYM_LOGINS,
                     Faults(duplicate_files=1.0), 1, header="mac_address,gym,login,logout")
    fb.add(["m,1,1.0,2.0", "n,1,1.0,"])
    res = fb.finish()
    assert res.paths == ["raw/x/set-0001-part-0001.csv", "raw/x/set-0001-part-0001-dup.csv"]
    assert res.records == 4
    a, b = (tmp_path / p for p in res.paths)
    assert a.read_bytes() == b.read_bytes()
