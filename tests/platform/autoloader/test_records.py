"""Auto Loader records: the rescued-data column, _metadata, existing files, trigger limits.

Expected values are worked by hand from the Auto Loader documentation: the
rescued-data column "contains any data that wasn't parsed, either because it
was missing from the given schema, or because there was a type mismatch, or
because the casing of the column in the record or file didn't match with that
in the schema", as a JSON blob that also holds the record's source file path
(https://docs.databricks.com/ingestion/cloud-object-storage/auto-loader/schema.html);
options from https://docs.databricks.com/ingestion/cloud-object-storage/auto-loader/options.html.
"""

from __future__ import annotations

import json

from app.platform.autoloader import read_stream
from tests.platform.autoloader.streams import Landing, drain, rows

RESCUE = {"rescuedDataColumn": "_rescued_data"}


def test_rescued_column_holds_mismatched_fields_and_the_file_path(local_lakehouse):
    landing = Landing(local_lakehouse)
    landing.put_json(
        "a.json",
        {"id": 1, "name": "ann"},
        {"id": "abc", "name": "bob"},
        {"id": 3, "Name": "cy"},
        {"id": 4, "name": "dee", "city": "Oslo", "geo": {"lat": 1.5}},
        {"id": None, "name": "eve"},
    )
    df = landing.read(schema="id BIGINT, name STRING", **RESCUE)
    assert df.columns == ["id", "name", "_rescued_data"]
    got = rows(df.select("*", "_metadata.file_path"), landing.checkpoint)
    (path,) = {r.file_path for r in got}
    assert path.endswith("/a.json")
    by_name = {r.name: r for r in got}
    assert by_name["ann"]._rescued_data is None  # clean record
    assert by_name["eve"]._rescued_data is None  # JSON null is a value, not a mismatch
    assert by_name["bob"].id is None
    assert json.loads(by_name["bob"]._rescued_data) == {"id": "abc", "_file_path": path}
    (cy,) = [r for r in got if r.id == 3]
    assert cy.name is None  # "Name" is not "name": case mismatch, rescued
    assert json.loads(cy._rescued_data) == {"Name": "cy", "_file_path": path}
    assert json.loads(by_name["dee"]._rescued_data) == {
        "city": "Oslo",
        "geo": {"lat": 1.5},
        "_file_path": path,
    }


def test_csv_type_mismatch_is_rescued(local_lakehouse):
    """The documented example: cost BIGINT, '$100' -> NULL and {"cost": "$100", ...}."""
    landing = Landing(local_lakehouse)
    landing.put("a.csv", "users,cost\npeter,$100\nzebi,300\n")
    df = landing.read("csv", schema="users STRING, cost BIGINT", header="true", **RESCUE)
    got = {r.users: r for r in rows(df, landing.checkpoint)}
    assert (got["zebi"].cost, got["zebi"]._rescued_data) == (300, None)
    assert got["peter"].cost is None
    rescued = json.loads(got["peter"]._rescued_data)
    assert rescued["cost"] == "$100" and rescued["_file_path"].endswith("/a.csv")


def test_metadata_column(local_lakehouse):
    landing = Landing(local_lakehouse)
    text = '{"id": 1}\n'
    landing.put_json("a.json", {"id": 1})
    source = landing.read()
    assert "_metadata" not in source.columns  # hidden until selected, as on Databricks
    df = source.select(
        "id",
        "_metadata.file_path",
        "_metadata.file_name",
        "_metadata.file_size",
        "_metadata.file_modification_time",
        "_metadata.file_block_start",
        "_metadata.file_block_length",
    )
    (row,) = rows(df, landing.checkpoint)
    assert row.file_path.endswith(f"{landing.folder}/a.json")
    assert (row.file_name, row.file_size) == ("a.json", len(text))
    assert (row.file_block_start, row.file_block_length) == (0, len(text))
    assert row.file_modification_time is not None


def test_include_existing_files_false_skips_what_was_there_at_the_first_start(local_lakehouse):
    landing = Landing(local_lakehouse)
    skip = {"cloudFiles.includeExistingFiles": "false"}
    landing.put_json("old.json", {"id": 1})
    assert rows(landing.read(schema="id BIGINT", **skip), landing.checkpoint) == []
    landing.put_json("new.json", {"id": 2})
    got = rows(landing.read(schema="id BIGINT", **skip), landing.checkpoint)
    assert [r.id for r in got] == [2]  # the restart still skips old.json, reads new.json


def test_trigger_limits(local_lakehouse):
    for option, value in (("maxFilesPerTrigger", "1"), ("maxBytesPerTrigger", "1b")):
        landing = Landing(local_lakehouse)
        for name in ("a", "b", "c"):
            landing.put(f"{name}.txt", f"{name}\n")
        df = landing.read("text", **{f"cloudFiles.{option}": value})
        batches = drain(df, landing.checkpoint)
        assert [len(b) for b in batches] == [1, 1, 1], option


def test_read_stream_is_a_plain_function(local_lakehouse):
    """The same read without the DataStreamReader hook (what a Spark Connect hook would call)."""
    landing = Landing(local_lakehouse)
    landing.put_json("a.json", {"id": 1})
    df = read_stream(
        local_lakehouse.spark,
        {"cloudFiles.format": "json", "cloudFiles.schemaLocation": landing.schema_location},
        landing.path,
    )
    assert [(r.id, r._rescued_data) for r in rows(df, landing.checkpoint)] == [("1", None)]


def test_text_with_a_schema_is_the_plain_file_source(local_lakehouse):
    """The pipeline's bronze read: nothing between the file source and the caller."""
    landing = Landing(local_lakehouse)
    landing.put("a.txt", "x\n")
    df = landing.read("text", schema="value STRING", **{"cloudFiles.maxBytesPerTrigger": "512m"})
    plan = df._jdf.queryExecution().analyzed().toString()  # classic session
    assert df.columns == ["value"]
    assert "from_json" not in plan and "Project" not in plan and "Filter" not in plan
