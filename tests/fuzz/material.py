"""What a fuzz round builds its cases from: the well-formed records of the set it landed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from app.platform.storage import ObjectStore

KAFKA_DIR = "raw/kafka_multiplex_bz"
USERS_DIR = "raw/registered_users_bz"
GYM_DIR = "raw/gym_logins_bz"
TABLE_OF_DIR = {
    KAFKA_DIR: "kafka_multiplex_bz",
    USERS_DIR: "registered_users_bz",
    GYM_DIR: "gym_logins_bz",
}
HEADERS = {
    USERS_DIR: "user_id,device_id,mac_address,registration_timestamp",
    GYM_DIR: "mac_address,gym,login,logout",
}
CASE_PREFIX = "fuzz-"  # the file name of every file a case lands starts with it


def table_of(path: str) -> str:
    return TABLE_OF_DIR[path.rsplit("/", 1)[0]]


def case_file(folder: str, stem: str, ext: str) -> str:
    """The landing path of a file a case lands (``is_case_path`` knows it)."""
    return f"{folder}/{CASE_PREFIX}{stem}.{ext}"


def is_case_path(path: str) -> bool:
    """True for a file a case landed, False for a file of the normal sets.

    ``path`` is relative to the data zone (``raw/<table>/<name>``): only the file
    name tells, never the URL around it, whose container or folder names are the
    run's own (``make fuzz`` names its containers ``fuzz-...``).
    """
    return path.rsplit("/", 1)[-1].startswith(CASE_PREFIX)


@dataclass
class LandedFile:
    """A file of the normal set: its bytes and what the manifest says it holds."""

    path: str
    data: bytes
    good: int
    bad: int


@dataclass
class Material:
    """The normal set's well-formed records, by source, and its landed files."""

    kafka: list[dict[str, Any]] = field(default_factory=list)
    users: list[list[str]] = field(default_factory=list)
    gym: list[list[str]] = field(default_factory=list)
    files: list[LandedFile] = field(default_factory=list)

    def by_topic(self, topic: str) -> list[dict[str, Any]]:
        return [r for r in self.kafka if r.get("topic") == topic]


def read_set(zone: ObjectStore, manifest: dict[str, Any]) -> Material:
    """The records of the set just landed (``manifest['files']``), malformed lines left out."""
    malformed: dict[str, set[int]] = {}
    for m in manifest["malformed"]:
        malformed.setdefault(m["source_file"], set()).add(int(m["line"]))
    out = Material()
    for path in manifest["files"]:
        folder = path.rsplit("/", 1)[0]
        if folder not in TABLE_OF_DIR:
            continue
        data = zone.get_bytes(path)
        lines = data.splitlines()
        bad = malformed.get(path, set())
        good = 0
        for number, raw in enumerate(lines, start=1):
            text = raw.decode("utf-8")
            if number in bad or not text.strip() or text == HEADERS.get(folder):
                continue
            good += 1
            if folder == KAFKA_DIR:
                out.kafka.append(json.loads(text))
            elif folder == USERS_DIR:
                out.users.append(text.split(","))
            else:
                out.gym.append(text.split(","))
        out.files.append(LandedFile(path, data, good, len(bad)))
    return out
