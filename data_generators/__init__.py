"""Synthetic landing-zone data for the fitness-tracker workload, with ground truth.

Python API (stable; used by the pipeline tests)::

    from data_generators import Faults, GeneratorSpec, generate_set, generate_sets

    spec = GeneratorSpec(seed=42, sets=2, scale=1.0, faults=Faults(duplicates=0.02))
    results = generate_sets(spec, Path("/tmp/zone"))        # or an ObjectStore
    results[-1].manifest["counts"]["heart_rate"]
    generate_set(spec, 2, store)                           # one set at a time

Landing layout (relative to the data zone, docs/domain.md formats):
``raw/registered_users_bz/set-NNNN-part-0001.csv``, ``raw/gym_logins_bz/set-NNNN-part-PPPP.csv``,
``raw/kafka_multiplex_bz/set-NNNN-part-PPPP.json`` (duplicated files: ``...-dup.json``),
``test_data/date_lookup.json`` and the ground truth ``ground_truth/set-NNNN.json``.

Manifest (cumulative after set N)::

    {"set", "seed", "scale", "faults": {knob: rate}, "late_max_seconds",
     "counts": {"registered_users_bz", "gym_logins_bz", "kafka_multiplex_bz", "quarantine",
                "date_lookup", "users", "gym_logs", "user_profile", "heart_rate", "workouts",
                "completed_workouts", "workout_bpm", "user_bins", "workout_bpm_summary",
                "gym_summary"},
     "rows": {"completed_workouts": [...], "workout_bpm_summary": [...], "gym_summary": [...]},
     "malformed": [{"source_file", "line", "raw", "reason"}],
     "files": [paths landed in this set],
     "fault_counts": {...}, "max_lateness_seconds": float, "spec": {...}}

A hand-made ``Scenario`` (a ``Timeline`` of users, profiles and visits) can be
landed instead of a random world: ``generate_sets(spec, sink, scenario=...)``.
"""

from __future__ import annotations

from data_generators.api import generate_set, generate_sets
from data_generators.engine import SetResult
from data_generators.model import Address, Profile, Scenario, Timeline, User, Visit
from data_generators.spec import Faults, GeneratorSpec

__all__ = [
    "Address",
    "Faults",
    "GeneratorSpec",
    "Profile",
    "Scenario",
    "SetResult",
    "Timeline",
    "User",
    "Visit",
    "generate_set",
    "generate_sets",
]
