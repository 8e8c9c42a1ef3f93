"""The streams of earlier versions whose tables the bronze streams now write.

Up to this version, users, gym_logs, user_profile, heart_rate and workouts
each had a query of its own reading a bronze table as a Delta stream
(``settings.RETIRED_STREAMS``). An environment that ran them may hold bronze
rows they had not read yet, and the bronze streams will never hand those to
silver: they only see new landing files. So before the streams start, each
retired stream that has a checkpoint runs once more, available-now from that
checkpoint, through today's silver writer of its table, and its checkpoint
is then marked done (``RETIRED_MARK``) so later starts skip it. Every silver
writer is an idempotent MERGE: rows the bronze stream also wrote to silver
are not written twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from app.pipeline import landing, settings, silver
from app.pipeline.schemas import VALUE_SCHEMAS
from app.pipeline.streaming import AVAILABLE_NOW, BatchFunction, start
from app.platform import checkpoints

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from app.pipeline.bronze import Follower
    from app.platform.lakehouse import Lakehouse

log = logging.getLogger(__name__)

# Written into a retired stream's checkpoint folder once its last rows are in silver.
RETIRED_MARK = "retired"
WRITERS: dict[str, Follower] = {
    "users": silver.users,
    "gym_logs": silver.gym_logs,
    "user_profile": silver.user_profile,
    "heart_rate": silver.heart_rate,
    "workouts": silver.workouts,
}
TOPIC = {"user_profile": "user_info", "heart_rate": "bpm", "workouts": "workout"}


def pending(lh: Lakehouse) -> list[str]:
    """Retired streams with a checkpoint not marked done (one or two object reads each)."""
    folder = checkpoints.CHECKPOINTS
    try:
        store = lh.store("checkpoint")
        return [
            s for s in settings.RETIRED_STREAMS
            if checkpoints.has_started(store, s)
            and not store.exists(f"{folder}{s}/{RETIRED_MARK}")
        ]
    except Exception as exc:  # the checkpoint location is not readable as objects here
        log.warning("could not look for the checkpoints of retired streams: %s", exc)
        return []


def _records(lh: Lakehouse, stream: str) -> DataFrame:
    """The retired stream's source as the records its silver writer takes."""
    from pyspark.sql import functions as F

    rows = lh.spark.readStream.table(lh.table(settings.RETIRED_STREAMS[stream]))
    topic = TOPIC.get(stream)
    if topic is None:  # a CSV bronze table: its columns are the landing fields
        return rows
    return rows.where(F.col("topic") == topic).select(
        "topic", F.from_json("value", VALUE_SCHEMAS[topic]).alias(landing.value_column(topic))
    )


def _batch_writer(lh: Lakehouse, write: Follower) -> BatchFunction:
    def batch_writer(batch: DataFrame, batch_id: int) -> None:
        write(lh, batch)

    return batch_writer


def drain(lh: Lakehouse) -> list[str]:
    """Run every pending retired stream to the end of its source, then mark it done."""
    done = []
    for stream in pending(lh):
        log.warning("stream %s is retired (its bronze stream writes %s now): reading the bronze "
                    "rows it had not read yet", stream, stream)
        query = start(lh, stream, _records(lh, stream), _batch_writer(lh, WRITERS[stream]),
                      AVAILABLE_NOW, "silver")
        query.awaitTermination()
        lh.store("checkpoint").put_bytes(
            f"{checkpoints.CHECKPOINTS}{stream}/{RETIRED_MARK}",
            f"read to the end; {settings.RETIRED_STREAMS[stream]} writes {stream} now\n".encode(),
        )
        done.append(stream)
    return done
