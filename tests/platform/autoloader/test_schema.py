"""Auto Loader schema handling: inference, hints, the schema location and evolution modes.

Expected values come from the Auto Loader documentation
(https://docs.databricks.com/ingestion/cloud-object-storage/auto-loader/schema.html):
without inferColumnTypes every top-level JSON / CSV column is a STRING (nested
JSON included, as its JSON text); the rescued-data column ``_rescued_data`` is
added when the schema is inferred; the schema is kept in versions under
``<schemaLocation>/_schemas``; addNewColumns stops on a new column and the
restart reads it; rescue never evolves; failOnNewColumns keeps failing; none
ignores new columns.
"""

from __future__ import annotations

import json

import pytest
from pyspark.errors import StreamingQueryException

from app.platform.autoloader import schema_location
from app.platform.errors import CloudFilesOptionError, CloudFilesSchemaError
from tests.platform.autoloader.streams import Landing, drain, rows

RECORD = {"id": 1, "name": "ann", "score": 2.5, "ok": True, "tags": {"x": 1}}


def _types(df) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {f.name: f.dataType.simpleString() for f in df.schema.fields}


def test_json_columns_are_strings_without_infer_column_types(local_lakehouse):
    landing = Landing(local_lakehouse)
    landing.put_json("a.json", RECORD)
    df = landing.read()
    assert _types(df) == {
        "id": "string",
        "name": "string",
        "ok": "string",
        "score": "string",
        "tags": "string",
        "_rescued_data": "string",
    }
    (row,) = rows(df, landing.checkpoint)
    assert (row.id, row.name, row.ok, row.score) == ("1", "ann", "true", "2.5")
    assert json.loads(row.tags) == {"x": 1}
    assert row._rescued_data is None


def test_infer_column_types_and_schema_hints(local_lakehouse):
    landing = Landing(local_lakehouse)
    landing.put_json("a.json", RECORD)
    typed = landing.read(**{"cloudFiles.inferColumnTypes": "true"})
    assert _types(typed) == {
        "id": "bigint",
        "name": "string",
        "ok": "boolean",
        "score": "double",
        "tags": "struct<x:bigint>",
        "_rescued_data": "string",
    }
    hinted = Landing(local_lakehouse)
    hinted.put_json("a.json", RECORD)
    df = hinted.read(
        **{
            "cloudFiles.inferColumnTypes": "true",
            "cloudFiles.schemaHints": "id INT, born DATE",
        }
    )
    types = _types(df)
    assert (types["id"], types["score"], types["born"]) == ("int", "double", "date")


def test_csv_inference_with_and_without_types(local_lakehouse):
    landing = Landing(local_lakehouse)
    landing.put("a.csv", "users,cost\npeter,100\nzebi,300\n")
    plain = landing.read("csv", header="true")
    assert _types(plain) == {"users": "string", "cost": "string", "_rescued_data": "string"}
    typed = Landing(local_lakehouse)
    typed.put("a.csv", "users,cost\npeter,100\nzebi,300\n")
    df = typed.read("csv", header="true", **{"cloudFiles.inferColumnTypes": "true"})
    assert _types(df)["cost"] in ("int", "bigint")


def test_inference_samples_within_num_files_and_num_bytes(local_lakehouse):
    landing = Landing(local_lakehouse)
    landing.put_json("a.json", {"a": 1})
    landing.put_json("b.json", {"a": 2, "b": 3})
    df = landing.read(**{"cloudFiles.schemaInference.sampleSize.numFiles": "1"})
    assert list(_types(df)) == ["a", "_rescued_data"]
    by_bytes = Landing(local_lakehouse)
    by_bytes.put_json("a.json", {"a": 1})
    by_bytes.put_json("b.json", {"a": 2, "b": 3})
    df = by_bytes.read(**{"cloudFiles.schemaInference.sampleSize.numBytes": "1"})
    assert list(_types(df)) == ["a", "_rescued_data"]  # the first file, however large


def test_inference_needs_files_and_a_schema_location(local_lakehouse):
    landing = Landing(local_lakehouse)
    landing.put("keep.txt", "")  # the folder exists; no JSON to infer from
    empty = Landing(local_lakehouse)
    with pytest.raises(CloudFilesSchemaError, match="CF_EMPTY_DIR_FOR_SCHEMA_INFERENCE"):
        empty.read()
    with pytest.raises(CloudFilesOptionError, match="cloudFiles.schemaLocation"):
        (
            local_lakehouse.spark.readStream.format("cloudFiles")
            .option("cloudFiles.format", "json")
            .load(landing.path)
        )


def test_schema_location_round_trip(lakehouse):
    """Stored at the first start, reused at the restart (here: rescue never re-infers)."""
    landing = Landing(lakehouse)
    landing.put_json("a.json", {"id": 1, "name": "ann"})
    mode = {"cloudFiles.schemaEvolutionMode": "rescue"}
    assert [(r.id, r.name) for r in rows(landing.read(**mode), landing.checkpoint)] == [
        ("1", "ann")
    ]
    version, stored = schema_location.latest_schema(lakehouse.spark, landing.schema_location)
    assert version == 0 and stored.fieldNames() == ["id", "name"]
    files = lakehouse.spark.read.text(f"{landing.schema_location}/_schemas/0").collect()
    assert files[0].value == "v1"  # Auto Loader's schema file: version line, then JSON

    landing.put_json("b.json", {"id": 2, "name": "bob", "city": "Oslo"})
    df = landing.read(**mode)
    assert df.columns == ["id", "name", "_rescued_data"]
    (row,) = rows(df, landing.checkpoint)
    rescued = json.loads(row._rescued_data)
    assert rescued["city"] == "Oslo" and rescued["_file_path"].endswith("/b.json")


def test_add_new_columns_stops_then_the_restart_evolves(local_lakehouse):
    landing = Landing(local_lakehouse)
    landing.put_json("a.json", {"id": 1})
    assert [r.id for r in rows(landing.read(), landing.checkpoint)] == ["1"]

    running = landing.read()  # the stream's schema is settled: id only
    landing.put_json("b.json", {"id": 2, "colour": "red"})
    with pytest.raises(StreamingQueryException) as failure:
        drain(running, landing.checkpoint)
    message = str(failure.value)
    assert "UNKNOWN_FIELD_EXCEPTION.NEW_FIELDS_IN_RECORD_WITH_FILE_PATH" in message
    assert "New fields: colour" in message and "/b.json" in message

    restarted = landing.read()
    assert restarted.columns == ["id", "colour", "_rescued_data"]
    assert schema_location.latest_schema(local_lakehouse.spark, landing.schema_location)[0] == 1
    assert [(r.id, r.colour) for r in rows(restarted, landing.checkpoint)] == [("2", "red")]


def test_fail_on_new_columns_keeps_failing(local_lakehouse):
    landing = Landing(local_lakehouse)
    mode = {"cloudFiles.schemaEvolutionMode": "failOnNewColumns"}
    landing.put_json("a.json", {"id": 1})
    landing.read(**mode)  # settles the schema: id
    landing.put_json("b.json", {"id": 2, "colour": "red"})
    for _ in range(2):  # the restart does not evolve
        with pytest.raises(StreamingQueryException, match="automatic retry: false"):
            drain(landing.read(**mode), landing.checkpoint)


def test_none_ignores_new_columns(local_lakehouse):
    landing = Landing(local_lakehouse)
    mode = {"cloudFiles.schemaEvolutionMode": "none"}
    landing.put_json("a.json", {"id": 1})
    landing.read(**mode)
    landing.put_json("b.json", {"id": 2, "colour": "red"})
    df = landing.read(**mode)
    assert df.columns == ["id"]  # no rescued column unless rescuedDataColumn is set
    assert sorted(r.id for r in rows(df, landing.checkpoint)) == ["1", "2"]


def test_add_new_columns_refused_with_a_given_schema(local_lakehouse):
    landing = Landing(local_lakehouse)
    with pytest.raises(CloudFilesOptionError, match="schemaHints"):
        landing.read(schema="id STRING", **{"cloudFiles.schemaEvolutionMode": "addNewColumns"})


def test_fail_on_new_columns_with_a_given_schema(local_lakehouse):
    landing = Landing(local_lakehouse)
    landing.put_json("a.json", {"id": "1", "colour": "red"})
    df = landing.read(schema="id STRING", **{"cloudFiles.schemaEvolutionMode": "failOnNewColumns"})
    with pytest.raises(StreamingQueryException, match="New fields: colour"):
        drain(df, landing.checkpoint)


def test_csv_new_column_stops_then_the_restart_evolves(local_lakehouse):
    """CSV: the stop is Spark's header check (see docs/autoloader.md); evolution as for JSON."""
    landing = Landing(local_lakehouse)
    landing.put("a.csv", "id,name\n1,ann\n")
    assert [r.name for r in rows(landing.read("csv", header="true"), landing.checkpoint)] == ["ann"]
    running = landing.read("csv", header="true")
    landing.put("b.csv", "id,name,city\n2,bob,Oslo\n")
    with pytest.raises(StreamingQueryException, match="b.csv"):
        drain(running, landing.checkpoint)
    restarted = landing.read("csv", header="true")
    assert restarted.columns == ["id", "name", "city", "_rescued_data"]
    assert [(r.name, r.city) for r in rows(restarted, landing.checkpoint)] == [("bob", "Oslo")]
