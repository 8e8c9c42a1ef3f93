"""A new session finds every table and view in storage, once each, on every target."""

from __future__ import annotations

from app.platform.lakehouse import Lakehouse


def test_a_new_session_registers_each_table_and_view_once(lakehouse, spark) -> None:
    lh = lakehouse
    lh.create_schema()
    lh.create_table("a", "id BIGINT")
    lh.create_table("b", "id BIGINT, name STRING", partitioned_by=("name",))
    lh.create_view("v", f"SELECT id FROM {lh.table('a')}")
    spark.sql(f"INSERT INTO {lh.table('a')} VALUES (1), (2)")
    for name in ("a", "b"):  # the catalog forgets; storage keeps the (external) tables
        spark.sql(f"DROP TABLE {lh.table(name)}")
    spark.sql(f"DROP VIEW {lh.table('v')}")
    assert lh.existing() == set()

    again = Lakehouse(lh.config, spark)
    # Azurite's blob endpoint lists each folder twice (marker blob and prefix): still once.
    assert again.register_from_storage() == ["a", "b", "v"]
    assert again.existing() == {"a", "b", "v"}
    assert spark.table(again.table("v")).count() == 2
