"""The order the setup creates tables in: what the first streams wait for comes first."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from app.pipeline import ddl


class RecordingPool:
    """An executor that runs nothing and records what was submitted, in order."""

    def __init__(self) -> None:
        self.submitted: list[str] = []

    def submit(self, fn: Any, lh: Any, name: str) -> Future[None]:
        self.submitted.append(name)
        return Future()


class FreshSchema:
    """The calls create_tables makes before it submits (a schema with no tables yet)."""

    def __init__(self, present: set[str] | None = None) -> None:
        self.present = present or set()

    def create_schema(self) -> None:
        pass

    def make_folder(self, location: str, folder: str) -> None:
        pass

    def existing(self) -> set[str]:
        return self.present


def test_quarantine_and_bronze_first_then_the_lookup_then_what_bronze_batches_write():
    pool = RecordingPool()
    created = ddl.create_tables(FreshSchema(), pool)  # type: ignore[arg-type]
    # What a stream waits for before it starts (run._needs): a bronze stream its
    # bronze table, quarantine and the silver tables its batches write, bronze Kafka
    # also the loaded date lookup; the gold stream everything.
    assert pool.submitted == [
        "quarantine", "registered_users_bz", "gym_logins_bz", "kafka_multiplex_bz",
        "date_lookup",
        "users", "gym_logs", "heart_rate", "workouts", "completed_workouts", "user_profile",
        "user_bins",
        "workout_bpm", "workout_bpm_summary",
    ]
    assert set(created) == set(pool.submitted)


def test_tables_the_catalog_has_are_not_created_again():
    pool = RecordingPool()
    created = ddl.create_tables(FreshSchema({"quarantine", "users"}), pool)  # type: ignore[arg-type]
    assert "quarantine" not in pool.submitted and "users" not in pool.submitted
    assert created["quarantine"].done() and created["users"].done()
    assert not created["date_lookup"].done()
