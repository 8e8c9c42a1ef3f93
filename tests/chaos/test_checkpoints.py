"""A run killed while Spark wrote a stream's first offsets must not stop that stream for good.

Found by ``make chaos`` on Azurite: a SIGKILL between Spark's write of
``offsets/.0.<uuid>.tmp`` and its rename left the temporary file, and every
later start of that stream failed with STATE_STORE_CHECKPOINT_LOCATION_NOT_EMPTY.
The holder of the pipeline lock removes such unfinished writes.
"""

from __future__ import annotations

import json
import uuid

import pytest

from app.platform.checkpoints import is_torn_write, remove_torn_writes
from app.platform.lock import pipeline_lock
from app.platform.storage import LocalStore


def test_torn_write_names() -> None:
    assert is_torn_write("checkpoints/users/offsets/.0.2ea0967b-af98-4059-a579-704d7f8694a8.tmp")
    assert is_torn_write("checkpoints/users/state/0/1/..2.zip.1f2e.tmp.crc")
    assert not is_torn_write("checkpoints/users/offsets/0")
    assert not is_torn_write("checkpoints/users/offsets/.0.crc")
    assert not is_torn_write("checkpoints/users/metadata")


def test_remove_torn_writes_only_touches_unfinished_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = LocalStore(tmp_path)
    for name in ("checkpoints/a/offsets/0", "checkpoints/a/offsets/.0.crc",
                 "checkpoints/a/offsets/.1.abc.tmp", "checkpoints/b/commits/..3.x.tmp.crc",
                 "other/.9.y.tmp"):
        store.put_bytes(name, b"x")
    removed = remove_torn_writes(store)
    assert sorted(removed) == ["checkpoints/a/offsets/.1.abc.tmp",
                               "checkpoints/b/commits/..3.x.tmp.crc"]
    assert store.exists("checkpoints/a/offsets/0") and store.exists("other/.9.y.tmp")


@pytest.mark.slow
def test_a_stream_killed_during_its_first_offsets_write_starts_again(local_lakehouse) -> None:  # type: ignore[no-untyped-def]
    spark = local_lakehouse.spark
    zone = local_lakehouse.store("data_zone")
    zone.put_bytes("raw/probe/a.json", (json.dumps({"id": 1}) + "\n").encode())
    source = local_lakehouse.path("data_zone", "raw/probe")
    checkpoint = local_lakehouse.path("checkpoint", "checkpoints/probe")
    # What the kill left: the temporary file of offsets/0, never renamed.
    local_lakehouse.store("checkpoint").put_bytes(
        f"checkpoints/probe/offsets/.0.{uuid.uuid4()}.tmp", b"")
    read: list[int] = []

    def run() -> None:
        q = (spark.readStream.schema("id long").json(source)
             .writeStream.foreachBatch(lambda df, _: read.append(df.count()))
             .option("checkpointLocation", checkpoint).trigger(availableNow=True).start())
        q.awaitTermination()

    with pytest.raises(Exception, match="STATE_STORE_CHECKPOINT_LOCATION_NOT_EMPTY"):
        run()  # Spark's own behaviour: that stream could never start again
    with pipeline_lock(local_lakehouse, "once"):  # the next run takes the lock, then ...
        run()
    assert sum(read) == 1
