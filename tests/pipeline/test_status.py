"""`make status`: row counts and checkpoint positions (read from a hand-written checkpoint)."""

from __future__ import annotations

import re

from lakehouse_local import status

OFFSETS = (
    "v1\n"
    '{"batchWatermarkMs":0,"batchTimestampMs":1700000000000,"conf":{}}\n'
    '{"sourceVersion":1,"reservoirId":"r","reservoirVersion":7,"index":-1,'
    '"isStartingVersion":false}\n'
    '{"logOffset":3}\n'
)


def test_checkpoint_position_and_print(local_lakehouse, capsys):
    lh = local_lakehouse
    store = lh.store("checkpoint")
    store.put_bytes("checkpoints/workout_bpm_and_summary/offsets/4", OFFSETS.encode())
    store.put_bytes("checkpoints/workout_bpm_and_summary/offsets/5", OFFSETS.encode())
    store.put_bytes("checkpoints/workout_bpm_and_summary/commits/4", b"v1\n{}\n")
    # A per-folder bronze stream of an earlier layout left a checkpoint: shown too.
    store.put_bytes("checkpoints/gym_logins_bz/metadata", b'{"id":"x"}\n')
    pos = status.checkpoint_position(lh, "workout_bpm_and_summary")
    assert pos["batch"] == 5 and pos["committed"] == 4
    assert pos["offsets"][0]["reservoirVersion"] == 7 and pos["offsets"][1] == {"logOffset": 3}
    assert status.checkpoint_position(lh, "gym_logins_bz") == {
        "batch": None, "committed": None, "offsets": []
    }
    assert status.checkpoint_position(lh, "users") == {
        "batch": None, "committed": None, "offsets": []
    }
    status.print_status(lh.config)
    out = capsys.readouterr().out
    assert "(missing)" in out  # no tables were set up in this schema
    assert "workout_bpm_and_summary  batch 5 (committed 4) sources: delta v7/-1, files log 3" in out
    assert re.search(r"^  gym_logins_bz +no checkpoint yet$", out, re.MULTILINE)
    streams = out.split("streams (", 1)[1]
    # A stream of the past with no checkpoint is not listed.
    assert not re.search(r"^  users ", streams, re.MULTILINE)
