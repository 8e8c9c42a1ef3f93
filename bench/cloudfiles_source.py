"""The local cloudFiles stand-in against Spark's built-in JSON file source, same Kafka files."""

from __future__ import annotations

import statistics
import time
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.platform.lakehouse import Lakehouse

KAFKA_RECORD = (
    "key STRING, value STRING, topic STRING, `partition` BIGINT, `offset` BIGINT, "
    "`timestamp` DOUBLE"
)


def compare(lh: Lakehouse, rounds: int = 3) -> tuple[float, float, int]:
    """Median seconds of (cloudFiles, json) reading the landed Kafka files, and their records."""
    spark = lh.spark
    path = lh.path("data_zone", "raw/kafka_multiplex_bz")
    rows = spark.read.schema(KAFKA_RECORD).json(path).count()

    def cloudfiles() -> Any:
        return (
            spark.readStream.format("cloudFiles")
            .option("cloudFiles.format", "json")
            .option("rescuedDataColumn", "_rescued_data")
            .schema(KAFKA_RECORD)
            .load(path)
            .select("*", "_metadata.file_path")
        )

    def builtin() -> Any:
        return (
            spark.readStream.format("json")
            .schema(KAFKA_RECORD + ", _rescued_data STRING")
            .option("columnNameOfCorruptRecord", "_rescued_data")
            .load(path)
            .select("*", "_metadata.file_path")
        )

    times: dict[str, list[float]] = {"cloudFiles": [], "json": []}
    for i in range(rounds):
        for name, make in (("cloudFiles", cloudfiles), ("json", builtin))[:: 1 if i % 2 else -1]:
            began = time.perf_counter()
            q = (
                make()
                .writeStream.format("noop")
                .option("checkpointLocation", lh.checkpoint(f"bench_{name}_{uuid.uuid4().hex[:6]}"))
                .trigger(availableNow=True)
                .start()
            )
            q.awaitTermination()
            times[name].append(time.perf_counter() - began)
    return statistics.median(times["cloudFiles"]), statistics.median(times["json"]), rows
