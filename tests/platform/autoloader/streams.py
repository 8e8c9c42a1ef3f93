"""Helpers for the Auto Loader tests: land files, run a cloudFiles read to the end."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, Row

    from app.platform.lakehouse import Lakehouse


class Landing:
    """One uuid-named landing folder, its schema location and a checkpoint per stream."""

    def __init__(self, lh: Lakehouse) -> None:
        self.lh = lh
        self.folder = f"raw/al_{uuid.uuid4().hex[:8]}"
        self.path = lh.path("data_zone", self.folder)
        self.schema_location = lh.checkpoint(f"al_schema_{uuid.uuid4().hex[:8]}")
        self.checkpoint = lh.checkpoint(f"al_stream_{uuid.uuid4().hex[:8]}")

    def put(self, name: str, text: str) -> None:
        self.lh.store("data_zone").put_bytes(f"{self.folder}/{name}", text.encode())

    def put_json(self, name: str, *records: dict[str, Any]) -> None:
        self.put(name, "".join(json.dumps(r) + "\n" for r in records))

    def read(self, fmt: str = "json", schema: Any = None, **options: str) -> DataFrame:
        reader = (
            self.lh.spark.readStream.format("cloudFiles")
            .option("cloudFiles.format", fmt)
            .option("cloudFiles.schemaLocation", self.schema_location)
        )
        for key, value in options.items():
            reader = reader.option(key, value)
        if schema is not None:
            reader = reader.schema(schema)
        return reader.load(self.path)


def drain(df: DataFrame, checkpoint: str) -> list[list[Row]]:
    """Run ``df`` with an available-now trigger; the rows of each micro-batch."""
    batches: list[list[Row]] = []
    query = (
        df.writeStream.foreachBatch(lambda batch, _: batches.append(batch.collect()))
        .option("checkpointLocation", checkpoint)
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    return batches


def rows(df: DataFrame, checkpoint: str) -> list[Row]:
    return [row for batch in drain(df, checkpoint) for row in batch]
