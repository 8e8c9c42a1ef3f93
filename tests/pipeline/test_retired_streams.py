"""An environment of the earlier layout: its silver streams' unread bronze rows still reach silver.

Up to this version users, heart_rate (and three more) were streams of their
own over bronze tables; now the bronze streams write them. Rows that reached
bronze before the upgrade but not yet those streams come from no new landing
file, so only the retired streams' last run (``app.pipeline.retired``) can
carry them to silver.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from app.pipeline import ddl, retired, run

pytestmark = pytest.mark.integration


def _old_stream_checkpoint(lh, stream: str, bronze: str) -> None:  # type: ignore[no-untyped-def]
    """What an old silver stream left: a checkpoint that read ``bronze`` up to now."""
    q = (
        lh.spark.readStream.table(lh.table(bronze))
        .writeStream.foreachBatch(lambda batch, batch_id: None)
        .option("checkpointLocation", lh.checkpoint(stream))
        .trigger(availableNow=True)
        .start()
    )
    q.awaitTermination()


def test_rows_the_retired_streams_had_not_read_reach_silver_once(local_lakehouse):
    lh = local_lakehouse
    ddl.setup(lh)
    spark = lh.spark
    _old_stream_checkpoint(lh, "users", "registered_users_bz")
    _old_stream_checkpoint(lh, "heart_rate", "kafka_multiplex_bz")
    # Bronze rows written after those checkpoints, by the old bronze streams.
    spark.sql(
        f"INSERT INTO {lh.table('registered_users_bz')} VALUES "
        "(7, 70, 'aa:07', 1678451168.0, current_timestamp(), 'users-1.csv')"
    )
    reading = json.dumps({"device_id": 70, "time": "2023-03-10 12:00:05", "heartrate": 91.5})
    spark.sql(
        f"INSERT INTO {lh.table('kafka_multiplex_bz')} VALUES "
        f"(NULL, '{reading}', 'bpm', 0, 1, 1678449605000, DATE'2023-03-10', 'weekday', "
        "current_timestamp(), 'kafka-1.json')"
    )
    assert retired.pending(lh) == ["users", "heart_rate"]

    run.run_once(lh)

    users = spark.table(lh.table("users")).collect()
    assert [r.asDict() for r in users] == [{
        "user_id": 7, "device_id": 70, "mac_address": "aa:07",
        # 1678451168 s after the epoch, as the session's time zone shows it
        "registration_timestamp": datetime.fromtimestamp(1678451168),
    }]
    hr = spark.table(lh.table("heart_rate")).collect()
    assert [tuple(r) for r in hr] == [(70, datetime(2023, 3, 10, 12, 0, 5), 91.5, True)]
    assert retired.pending(lh) == []  # marked: later starts skip them
