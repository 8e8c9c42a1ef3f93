"""Row counts from the Delta log: hand-worked commits, then real Delta tables on storage."""

from __future__ import annotations

import json

from app.platform import delta_log
from app.platform.delta_log import DeltaRowCount, rows_changed


def _action(kind: str, records: int | None, deleted: int | None = None) -> str:
    body: dict[str, object] = {"path": f"part-{kind}-{records}.parquet", "dataChange": True}
    if records is not None:
        body["stats"] = json.dumps({"numRecords": records, "minValues": {}, "maxValues": {}})
    if deleted is not None:
        body["deletionVector"] = {"storageType": "u", "pathOrInlineDv": "x", "offset": 1,
                                  "sizeInBytes": 36, "cardinality": deleted}
    return json.dumps({kind: body})


def test_rows_changed_adds_and_removes_with_deletion_vectors() -> None:
    commit = "\n".join([
        json.dumps({"commitInfo": {"operation": "MERGE"}}),
        _action("add", 10),
        _action("add", 7, deleted=2),   # 5 rows still live
        _action("remove", 4),
        "",
    ]).encode()
    assert rows_changed(commit) == 10 + 5 - 4
    assert rows_changed(_action("add", None).encode()) is None  # no stats: unknown


def test_count_follows_appends_merges_deletes_and_checkpoints(local_lakehouse, monkeypatch) -> None:
    lh = local_lakehouse
    spark = lh.spark
    lh.create_schema()
    lh.create_table("t", "id BIGINT, v BIGINT", properties={
        "delta.checkpointInterval": "3", "delta.enableDeletionVectors": "true"})
    tables = lh.store("tables")
    calls: list[int] = []

    def count_at(version: int) -> int:
        calls.append(version)
        return lh.count_at("t", version)

    live = DeltaRowCount(tables, lh.table_folder("t"), count_at)
    assert live.refresh() == 0  # created, empty
    spark.range(10).selectExpr("id", "id AS v").write.format("delta").mode("append") \
        .saveAsTable(lh.table("t"))
    assert live.refresh() == 10
    spark.range(5, 15).selectExpr("id", "id * 2 AS v").createOrReplaceTempView("src_t")
    spark.sql(f"MERGE INTO {lh.table('t')} t USING src_t s ON t.id = s.id "
              "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")
    assert live.refresh() == 15  # ids 0..14: 5 updated in place, 5 inserted
    spark.sql(f"DELETE FROM {lh.table('t')} WHERE id < 3")  # a deletion vector
    assert live.refresh() == 12
    assert calls == []  # every count so far came from the log alone

    spark.range(100, 104).selectExpr("id", "id AS v").write.format("delta").mode("append") \
        .saveAsTable(lh.table("t"))
    assert tables.exists(f"{lh.table_folder('t')}/_delta_log/_last_checkpoint")
    # A counter started later reads a short log from version 0 ...
    assert DeltaRowCount(tables, lh.table_folder("t"), count_at).refresh() == 16
    assert calls == []
    # ... and a long one from its last checkpoint, counted once by Delta.
    monkeypatch.setattr(delta_log, "REPLAY_LIMIT", 0)
    late = DeltaRowCount(tables, lh.table_folder("t"), count_at)
    assert late.refresh() == 16 == live.refresh()
    assert calls == [3]  # checkpoints every 3 commits: version 3 (the DELETE)
    assert spark.table(lh.table("t")).count() == 16


def test_missing_table_has_no_count(local_lakehouse) -> None:
    lh = local_lakehouse
    counter = DeltaRowCount(lh.store("tables"), lh.table_folder("nothing"), lambda v: 0)
    assert counter.refresh() is None
