"""Spark + Delta on each storage target: write, MERGE, stream, and a second process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
from chispa import assert_df_equality
from pyspark.sql import Row

from app.platform.lakehouse import Lakehouse

EVENTS_SCHEMA = "id BIGINT, name STRING, value DOUBLE"


def _json_lines(rows: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


@pytest.mark.spark_modes
def test_delta_table_written_merged_and_read_back(lakehouse: Lakehouse) -> None:
    spark = lakehouse.spark
    lakehouse.create_schema()
    name = lakehouse.create_table("people", "id BIGINT, name STRING")
    spark.createDataFrame([(1, "ann"), (2, "bob")], "id BIGINT, name STRING").write.format(
        "delta"
    ).mode("append").saveAsTable(name)

    updates = spark.createDataFrame([(2, "bobby"), (3, "cy")], "id BIGINT, name STRING")
    updates.createOrReplaceTempView("updates")
    spark.sql(
        f"MERGE INTO {name} t USING updates s ON t.id = s.id "
        "WHEN MATCHED THEN UPDATE SET name = s.name WHEN NOT MATCHED THEN INSERT *"
    )

    expected = spark.createDataFrame(
        [(1, "ann"), (2, "bobby"), (3, "cy")], "id BIGINT, name STRING"
    )
    assert_df_equality(spark.table(name), expected, ignore_row_order=True)
    # The table's files live in the target's storage, not in a local warehouse.
    location = spark.sql(f"DESCRIBE DETAIL {name}").first()["location"]  # type: ignore[index]
    assert location.startswith(lakehouse.location("tables"))


@pytest.mark.spark_modes
def test_available_now_stream_honours_its_checkpoint(lakehouse: Lakehouse) -> None:
    spark = lakehouse.spark
    landing = lakehouse.store("data_zone")
    first = [{"id": 1, "name": "a", "value": 1.5}, {"id": 2, "name": "b", "value": 2.5}]
    second = [{"id": 3, "name": "c", "value": 3.5}]
    target = lakehouse.path("tables", "events_stream")
    checkpoint = lakehouse.checkpoint("events_stream")

    def run_once() -> None:
        query = (
            spark.readStream.schema(EVENTS_SCHEMA)
            .json(lakehouse.path("data_zone", "raw", "events"))
            .writeStream.format("delta")
            .option("checkpointLocation", checkpoint)
            .trigger(availableNow=True)
            .start(target)
        )
        query.awaitTermination()
        assert query.exception() is None

    landing.put_bytes("raw/events/part-1.json", _json_lines(first))
    run_once()
    landing.put_bytes("raw/events/part-2.json", _json_lines(second))
    run_once()

    expected = spark.createDataFrame([Row(**r) for r in first + second], EVENTS_SCHEMA)
    assert_df_equality(spark.read.format("delta").load(target), expected, ignore_row_order=True)
    # Two runs, two commits: the second run read only the new file.
    history = spark.sql(f"DESCRIBE HISTORY delta.`{target}`").collect()
    assert len(history) == 2


SECOND_PROCESS = """
import json, sys
from app.platform.config import load_config
from app.platform.lakehouse import Lakehouse
overrides = json.loads(sys.argv[1])
lakehouse = Lakehouse(load_config(**overrides))
spark = lakehouse.spark
rows = spark.table(lakehouse.table("shared")).orderBy("id").collect()
print("ROWS=" + json.dumps([r.id for r in rows]))
print("VIEW=" + str(spark.table(lakehouse.table("shared_count")).first()[0]))
"""


def test_commits_racing_for_the_same_version_all_land(lakehouse: Lakehouse) -> None:
    """Two writers append to one table at once; no commit replaces another.

    Delta's optimistic commit relies on its log store refusing to write a
    version file that exists, then retries at the next version. The session
    uses its own log store for file: tables (session.spark_conf); a store that
    overwrote would lose appends here.
    """
    spark = lakehouse.spark
    lakehouse.create_schema()
    name = lakehouse.create_table("raced", "writer INT, n INT")
    appends = 6
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            for n in range(appends):
                spark.createDataFrame([(writer, n)], "writer INT, n INT").write.format(
                    "delta").mode("append").saveAsTable(name)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    rows = sorted((r.writer, r.n) for r in spark.table(name).collect())
    assert rows == [(w, n) for w in (1, 2) for n in range(appends)]
    versions = spark.sql(f"DESCRIBE HISTORY {name}").where("operation = 'WRITE'").count()
    assert versions == 2 * appends


def test_a_second_process_sees_the_tables_and_views(lakehouse: Lakehouse) -> None:
    spark = lakehouse.spark
    lakehouse.create_schema()
    name = lakehouse.create_table("shared", "id BIGINT")
    spark.range(4).write.format("delta").mode("append").saveAsTable(name)
    lakehouse.create_view("shared_count", f"SELECT count(*) AS n FROM {name}")

    c = lakehouse.config
    overrides = {
        "storage": c.storage,
        "schema": c.schema,
        "home": c.home,
        "data_zone_container": c.data_zone_container,
        "checkpoint_container": c.checkpoint_container,
        "tables_container": c.tables_container,
        "azurite_host": c.azurite_host,
        "azurite_port": c.azurite_port,
        "spark_master": "local[1]",
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE_")}
    proc = subprocess.run(
        [sys.executable, "-c", SECOND_PROCESS, json.dumps(overrides)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "ROWS=[0, 1, 2, 3]" in proc.stdout
    assert "VIEW=4" in proc.stdout
