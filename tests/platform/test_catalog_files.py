"""The catalog's file operations agree whether they go through Hadoop or the object stores.

A classic session uses the driver's Hadoop file system (``HadoopFiles``), a
Spark Connect session the external locations' object stores (``StoreFiles``).
On each storage target, what one side writes the other must read the same
way: the same sub-folders, the same Delta tables, the same view texts, and a
folder one side creates or deletes is there or gone for the other.
"""

from __future__ import annotations

from app.platform.catalog_files import HadoopFiles, StoreFiles
from app.platform.lakehouse import Lakehouse


def test_hadoop_and_the_object_stores_see_the_same_catalog(lakehouse: Lakehouse) -> None:
    hadoop, stores = HadoopFiles(lakehouse.spark), StoreFiles(lakehouse.target)
    lakehouse.create_schema()
    lakehouse.create_table("people", "id BIGINT")
    lakehouse.spark.sql(f"INSERT INTO {lakehouse.table('people')} VALUES (1)")
    schema = lakehouse.schema_location
    hadoop.write_text_file(f"{schema}/_views/by_hadoop.sql", "SELECT 1")
    stores.write_text_file(f"{schema}/_views/by_store.sql", "SELECT 2")
    stores.make_dirs(f"{schema}/empty_by_store")

    for files in (hadoop, stores):
        assert "people" in files.list_dirs(schema)
        assert files.is_delta_table(f"{schema}/people")
        assert not files.is_delta_table(f"{schema}/_views")
        assert files.read_text_files(f"{schema}/_views") == {
            "by_hadoop.sql": "SELECT 1", "by_store.sql": "SELECT 2",
        }
    # A folder made through the store is a folder to Hadoop (and so to Spark's readers).
    assert "empty_by_store" in hadoop.list_dirs(schema)
    lakehouse.spark.read.format("text").load(f"{schema}/empty_by_store").count()

    stores.delete_path(f"{schema}/_views")
    assert hadoop.read_text_files(f"{schema}/_views") == {}
    assert "_views" not in hadoop.list_dirs(schema)
