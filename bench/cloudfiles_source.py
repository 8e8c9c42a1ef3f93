"""The local cloudFiles stand-in against Spark's built-in file source, same Kafka files.

Two reads:

- ``text``: the pipeline's bronze read (``cloudFiles.format=text``, schema
  ``value STRING``). The stand-in's direct path, which should cost what a
  built-in text read costs.
- ``json``: JSON with a schema and ``rescuedDataColumn``, the stand-in's
  records path. It parses each line twice (the schema, and the raw keys for
  Auto Loader's rescued JSON). The built-in JSON read with
  ``columnNameOfCorruptRecord`` does less work: it keeps no mismatched fields.
"""

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
READS = ("text", "json")


def compare(lh: Lakehouse, rounds: int = 3, read: str = "json") -> tuple[float, float, int]:
    """Median seconds of (cloudFiles, built-in) reading the landed Kafka files, and the lines."""
    spark = lh.spark
    path = lh.path("data_zone", "raw/kafka_multiplex_bz")
    rows = spark.read.text(path).count()
    schema = "value STRING" if read == "text" else KAFKA_RECORD

    def cloudfiles() -> Any:
        reader = (
            spark.readStream.format("cloudFiles")
            .option("cloudFiles.format", read)
            .option("cloudFiles.maxBytesPerTrigger", "512m")
        )
        if read == "json":
            reader = reader.option("rescuedDataColumn", "_rescued_data")
        return reader.schema(schema).load(path).select("*", "_metadata.file_path")

    def builtin() -> Any:
        reader = spark.readStream.format(read).option("maxBytesPerTrigger", str(512 << 20))
        if read == "json":
            reader = reader.schema(KAFKA_RECORD + ", _rescued_data STRING").option(
                "columnNameOfCorruptRecord", "_rescued_data"
            )
        else:
            reader = reader.schema(schema)
        return reader.load(path).select("*", "_metadata.file_path")

    times: dict[str, list[float]] = {"cloudFiles": [], "builtin": []}
    for i in range(rounds):
        for name, make in (("cloudFiles", cloudfiles), ("builtin", builtin))[:: 1 if i % 2 else -1]:
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
    return statistics.median(times["cloudFiles"]), statistics.median(times["builtin"]), rows
