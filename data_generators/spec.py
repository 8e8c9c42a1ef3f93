"""What to generate: frozen, declarative specs (no engine code here).

``GeneratorSpec`` describes a run of numbered sets; ``Faults`` holds the fault
knobs (all off by default). Every knob is a rate in [0, 1]: the probability
that one record (or, for file-level knobs, one file) carries the fault.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

# Rates used by ``Faults.all_on()`` / the CLI's ``--all-faults``.
ALL_FAULTS_RATES: dict[str, float] = {
    "duplicates": 0.02,
    "duplicate_files": 0.1,
    "late": 0.02,
    "invalid_bpm": 0.01,
    "malformed": 0.001,
    "seconds_timestamps": 0.05,
    "crlf": 0.3,
    "blank_lines": 0.3,
}


@dataclass(frozen=True)
class Faults:
    """Fault knobs; each is a probability, 0 (off) by default.

    Attributes:
        duplicates: a record is written twice in its file (bronze keeps both).
        duplicate_files: a landed file is landed again under ``<name>-dup``.
        late: a Kafka record near the end of its file arrives in the next file
            of the set instead (at most ``late_max_seconds`` behind what was
            already landed).
        invalid_bpm: a BPM reading carries heartrate <= 0.
        malformed: an extra broken line follows a record (broken JSON, wrong
            type, missing field); it must be quarantined.
        seconds_timestamps: a Kafka record's ``timestamp`` is in epoch seconds
            instead of milliseconds.
        crlf: a file uses CRLF line endings.
        blank_lines: a file ends with blank lines.
    """

    duplicates: float = 0.0
    duplicate_files: float = 0.0
    late: float = 0.0
    invalid_bpm: float = 0.0
    malformed: float = 0.0
    seconds_timestamps: float = 0.0
    crlf: float = 0.0
    blank_lines: float = 0.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"fault rate {f.name}={value!r} must be within [0, 1]")

    @classmethod
    def all_on(cls) -> Faults:
        """Every fault at a moderate rate (the CLI's ``--all-faults``)."""
        return cls(**ALL_FAULTS_RATES)

    @property
    def any(self) -> bool:
        return any(getattr(self, f.name) > 0 for f in dataclasses.fields(self))

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in dataclasses.fields(self)}


DEFAULT_START = datetime(2023, 3, 6, tzinfo=timezone.utc)


@dataclass(frozen=True)
class GeneratorSpec:
    """A run of numbered sets.

    A reference-size set (``scale=1``) has ``users_per_set`` new users with
    ``visits_per_user`` gym visits each (one workout session per visit, one
    visit per day) and about 250,000 BPM readings. ``scale`` multiplies the
    number of users (and so everything else) per set.

    Attributes:
        seed: global seed; every random stream derives from (seed, source, column).
        sets: how many sets the run has (set n covers ``visits_per_user`` days).
        scale: multiplies the users per set.
        faults: the fault knobs.
        users_per_set: new users per set at scale 1.
        visits_per_user: gym visits per new user and days per set.
        start: UTC start of set 1.
        late_max_seconds: the most a late record lags what was landed before it.
        file_seconds: event time covered by one Kafka file.
        max_records_per_file: a Kafka file is cut when it reaches this size.
        gym_files_per_set: gym login CSV files per set.
    """

    seed: int = 42
    sets: int = 1
    scale: float = 1.0
    faults: Faults = field(default_factory=Faults)
    users_per_set: int = 4
    visits_per_user: int = 8
    start: datetime = DEFAULT_START
    late_max_seconds: int = 600
    file_seconds: int = 21_600
    max_records_per_file: int = 500_000
    gym_files_per_set: int = 2

    def __post_init__(self) -> None:
        if self.sets < 1:
            raise ValueError(f"sets={self.sets} must be at least 1")
        if self.scale <= 0:
            raise ValueError(f"scale={self.scale} must be positive")
        if self.users_per_set < 1 or self.visits_per_user < 1:
            raise ValueError("users_per_set and visits_per_user must be at least 1")
        if self.start.tzinfo is None:
            raise ValueError("start must be timezone-aware (UTC), e.g. datetime(..., tzinfo=UTC)")
        if self.file_seconds < 60 or self.max_records_per_file < 1:
            raise ValueError("file_seconds must be >= 60 and max_records_per_file >= 1")
        if self.late_max_seconds < 1:
            raise ValueError("late_max_seconds must be at least 1")

    @property
    def users_in_set(self) -> int:
        """New users per set after scaling."""
        return max(1, round(self.users_per_set * self.scale))

    @property
    def set_seconds(self) -> int:
        return self.visits_per_user * 86_400

    @property
    def start_epoch(self) -> int:
        return int(self.start.timestamp())

    def window(self, n: int) -> tuple[int, int]:
        """[start, end) epoch seconds of set n's event time."""
        begin = self.start_epoch + (n - 1) * self.set_seconds
        return begin, begin + self.set_seconds

    def describe(self) -> dict[str, Any]:
        """The spec as plain JSON values (recorded in every manifest)."""
        return {
            "seed": self.seed,
            "sets": self.sets,
            "scale": self.scale,
            "users_per_set": self.users_per_set,
            "visits_per_user": self.visits_per_user,
            "start": self.start.astimezone(timezone.utc).isoformat(),
            "late_max_seconds": self.late_max_seconds,
            "file_seconds": self.file_seconds,
            "max_records_per_file": self.max_records_per_file,
            "gym_files_per_set": self.gym_files_per_set,
            "faults": self.faults.as_dict(),
        }

    @classmethod
    def from_description(cls, doc: dict[str, Any]) -> GeneratorSpec:
        """The spec ``describe()`` recorded (in every manifest): resume a landing run exactly."""
        values = dict(doc)
        values["start"] = datetime.fromisoformat(values["start"])
        values["faults"] = Faults(**values.get("faults", {}))
        return cls(**values)

    def replace(self, **changes: Any) -> GeneratorSpec:
        return dataclasses.replace(self, **changes)
