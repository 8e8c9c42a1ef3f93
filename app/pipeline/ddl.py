"""DDL setup for every table and the gym_summary view, its validation, and the cleanup."""

from __future__ import annotations

import logging
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from app.pipeline import handoff, settings
from app.pipeline.schemas import TABLES
from app.platform.errors import TableNotFoundError

if TYPE_CHECKING:
    from app.platform.lakehouse import Lakehouse

log = logging.getLogger(__name__)

# Tables created side by side by the setup. Few: each creation is mostly CPU on
# two cores, and the first ones (quarantine, bronze) are what the first streams wait for.
CREATE_WORKERS = 3
# Landing data the pipeline owns in the data zone (the cleanup removes it).
LANDING_PREFIXES = ("raw/", f"{settings.HISTORY_FOLDER}/", "ground_truth/")


def gym_summary_sql(lh: Lakehouse) -> str:
    """Per gym visit and workout inside it; minutes at full precision (micros / 60e6)."""
    return f"""
SELECT to_date(l.login) AS date, l.gym, l.mac_address, w.workout_id, w.session_id,
       (unix_micros(l.logout) - unix_micros(l.login)) / 60e6 AS minutes_in_gym,
       (unix_micros(w.end_time) - unix_micros(w.start_time)) / 60e6 AS minutes_exercising
FROM {lh.table("gym_logs")} l
JOIN (SELECT u.mac_address, c.workout_id, c.session_id, c.start_time, c.end_time
      FROM {lh.table("completed_workouts")} c
      JOIN {lh.table("users")} u ON c.user_id = u.user_id) w
  ON l.mac_address = w.mac_address AND w.start_time BETWEEN l.login AND l.logout
""".strip()


def make_landing_folders(lh: Lakehouse) -> None:
    """Create the landing folders, so a stream can start before the first file lands."""
    for folder in settings.LANDING.values():
        lh.make_folder("data_zone", folder)


def create_tables(lh: Lakehouse, pool: Executor) -> dict[str, Future[None]]:
    """Create the schema and landing folders now, and every missing table on ``pool``.

    Returns each table's creation, done at once for the tables the session's
    catalog already has (left alone, as CREATE TABLE IF NOT EXISTS would, but
    without a Delta log read per table). Bronze and quarantine come first, so
    the first streams can start while the rest are still being created.
    """
    lh.create_schema()
    make_landing_folders(lh)
    present = lh.existing()
    created: dict[str, Future[None]] = {}
    # Then what the bronze streams write beside bronze: their batches write once all of it
    # exists.
    followers = [t for s in settings.BRONZE_STREAMS for t in settings.STREAMS[s]
                 if t not in settings.BRONZE]
    first = (settings.QUARANTINE, *settings.BRONZE, *settings.HISTORY, *followers)
    # Each name's first place counts (a dict comprehension would keep its last, TABLES' order).
    for name in dict.fromkeys((*first, *TABLES)):
        if name in present:
            done: Future[None] = Future()
            done.set_result(None)
            created[name] = done
        else:
            created[name] = pool.submit(_create_table, lh, name)
    return created


def _create_table(lh: Lakehouse, name: str) -> None:
    columns, partitioned_by = TABLES[name]
    lh.create_table(name, columns, partitioned_by=partitioned_by,
                    properties=settings.table_properties(name))


def create_views(lh: Lakehouse) -> list[str]:
    """The views (once their tables exist); one left as it is when its text has not changed."""
    return [lh.create_view(view, gym_summary_sql(lh)) for view in settings.VIEWS]


def setup(lh: Lakehouse) -> list[str]:
    """Create the schema, every missing table, the view and the landing folders.

    Missing tables are created side by side (each one a Delta commit that
    waits on storage). Returns the full names of every table and view.
    """
    with ThreadPoolExecutor(CREATE_WORKERS, thread_name_prefix="ddl") as pool:
        created = create_tables(lh, pool)
        for future in created.values():
            future.result()
    made = [lh.table(name) for name in TABLES] + create_views(lh)
    log.info("setup: %d tables and views in %s", len(made), lh.database)
    return made


def validate(lh: Lakehouse) -> None:
    """Check that every table and view exists.

    Raises:
        TableNotFoundError: names the missing tables and how to create them.
    """
    present = {
        row.tableName
        for row in lh.spark.sql(f"SHOW TABLES IN {lh.database}").collect()
        if not row.isTemporary
    }
    missing = [t for t in (*settings.TABLES, *settings.VIEWS) if t not in present]
    if missing:
        raise TableNotFoundError(
            f"setup incomplete in {lh.database}: missing {', '.join(missing)}. "
            "Run the DDL setup (`lakehouse setup` locally)."
        )


def cleanup(lh: Lakehouse) -> None:
    """Drop the schema (tables, views, data), remove landing data and checkpoints."""
    handoff.of(lh.database).release()  # a gold batch waiting for bronze stops waiting
    for query in lh.spark.streams.active:
        if (query.name or "").startswith(f"{lh.database}."):
            query.stop()
    lh.drop_schema()
    zone = lh.store("data_zone")
    for prefix in LANDING_PREFIXES:
        zone.delete_prefix(prefix)
    lh.store("checkpoint").delete_prefix("checkpoints/")
    log.info("cleanup: dropped %s, removed landing data and checkpoints", lh.database)
