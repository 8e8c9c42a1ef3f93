"""A stream stopped mid-write and started again in the same process resumes.

Found by the interrupted-streams test (tests/pipeline/test_run.py): a stop
that interrupts a query while it writes its first ``offsets/0`` leaves
Spark's temporary ``offsets/.0.<uuid>.tmp``, and Spark 4 refuses to start a
stream whose empty log sits beside anything (STATE_STORE_CHECKPOINT_
LOCATION_NOT_EMPTY). No process restarts there, so the pipeline lock's
clean-up never runs: each stream start clears its own checkpoint.
"""

from __future__ import annotations

import json
import uuid

import pytest

from app.pipeline import streaming
from app.pipeline.streaming import AVAILABLE_NOW, Trigger


def _probe(lh, seen: list[int]):  # type: ignore[no-untyped-def]
    """A one-file JSON stream into foreachBatch through the pipeline's own ``start``."""
    lh.store("data_zone").put_bytes("raw/probe/a.json", (json.dumps({"id": 1}) + "\n").encode())
    df = lh.spark.readStream.schema("id long").json(lh.path("data_zone", "raw/probe"))

    def start(trigger: Trigger = AVAILABLE_NOW):  # type: ignore[no-untyped-def]
        return streaming.start(lh, "probe", df, lambda b, _: seen.append(b.count()), trigger,
                               "silver")

    return start


def _plant_torn_offsets(lh) -> str:  # type: ignore[no-untyped-def]
    path = f"checkpoints/probe/offsets/.0.{uuid.uuid4()}.tmp"
    lh.store("checkpoint").put_bytes(path, b"")
    return path


def test_a_stream_whose_first_offsets_write_was_cut_short_starts_again(local_lakehouse) -> None:  # type: ignore[no-untyped-def]
    lh = local_lakehouse
    seen: list[int] = []
    start = _probe(lh, seen)
    torn = _plant_torn_offsets(lh)
    # Spark's own behaviour, which the start must get around:
    plain = (lh.spark.readStream.schema("id long").json(lh.path("data_zone", "raw/probe"))
             .writeStream.foreachBatch(lambda b, _: None)
             .option("checkpointLocation", lh.checkpoint("probe"))
             .trigger(availableNow=True).start())
    with pytest.raises(Exception, match="STATE_STORE_CHECKPOINT_LOCATION_NOT_EMPTY"):
        plain.awaitTermination()

    start().awaitTermination()
    assert seen == [1]
    assert not lh.store("checkpoint").exists(torn)


def test_a_running_stream_keeps_its_writes_in_flight(local_lakehouse) -> None:  # type: ignore[no-untyped-def]
    lh = local_lakehouse
    seen: list[int] = []
    query = _probe(lh, seen)(Trigger("1 second"))
    try:
        torn = _plant_torn_offsets(lh)  # to the check, as good as a write in flight
        streaming.clear_torn_writes(lh, "probe")
        assert lh.store("checkpoint").exists(torn)
    finally:
        query.stop()
    streaming.clear_torn_writes(lh, "probe")
    assert not lh.store("checkpoint").exists(torn)
