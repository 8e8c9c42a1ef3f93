"""An environment whose bronze streams an earlier version started keeps them.

Up to this version each landing folder had a bronze stream of its own; now
one query reads the three. A new query would take every landed file again
(and bronze would hold each line twice), so such an environment keeps its
per-folder streams, resuming from their checkpoints (``app.pipeline.layout``).
"""

from __future__ import annotations

import pytest

from app.pipeline import layout, run, settings
from tests.pipeline import handmade

pytestmark = pytest.mark.integration


def test_per_folder_bronze_streams_resume_and_take_only_new_files(local_lakehouse):
    lh = local_lakehouse
    zone = lh.store("data_zone")
    spark = lh.spark
    handmade.land(zone)
    assert layout.of(lh) is layout.CURRENT  # nothing started yet: one bronze query
    # What an earlier version ran: a bronze stream per landing folder, then gold.
    run.prepare(lh)
    run.run_stage(lh, settings.BRONZE)
    run.run_stage(lh, (settings.GOLD_STREAM,))
    assert layout.of(lh) is layout.LEGACY
    # The hand-made set: 9 Kafka lines, 2 gym visits (one per file), 1 user.
    assert spark.table(lh.table("kafka_multiplex_bz")).count() == 9

    # A second user lands after the upgrade.
    zone.put_bytes(
        "raw/registered_users_bz/users-2.csv",
        b"user_id,device_id,mac_address,registration_timestamp\n2,12,aa:02,1678430000.0\n",
    )
    run.run_once(lh)

    # Only the new file was read: no line of the first set twice.
    assert spark.table(lh.table("kafka_multiplex_bz")).count() == 9
    assert spark.table(lh.table("gym_logins_bz")).count() == 2
    users = spark.table(lh.table("registered_users_bz")).select("user_id").collect()
    assert sorted(r.user_id for r in users) == [1, 2]
    assert sorted(r.user_id for r in spark.table(lh.table("users")).collect()) == [1, 2]
    assert spark.table(lh.table("workout_bpm_summary")).count() == 1
    ckpt = lh.store("checkpoint")
    assert not ckpt.exists(f"checkpoints/{settings.BRONZE_STREAM}/metadata")
    assert layout.of(lh) is layout.LEGACY


def test_a_fresh_environment_runs_one_bronze_query(local_lakehouse):
    lh = local_lakehouse
    handmade.land(lh.store("data_zone"))
    run.run_once(lh)
    ckpt = lh.store("checkpoint")
    assert ckpt.exists(f"checkpoints/{settings.BRONZE_STREAM}/metadata")
    assert not any(ckpt.exists(f"checkpoints/{b}/metadata") for b in settings.BRONZE)
    assert layout.of(lh) is layout.CURRENT
    # Every folder's lines reached bronze once, through the one query.
    assert lh.spark.table(lh.table("kafka_multiplex_bz")).count() == 9
    assert lh.spark.table(lh.table("gym_logins_bz")).count() == 2
    assert lh.spark.table(lh.table("registered_users_bz")).count() == 1
