"""Row counts of Delta tables read from their transaction logs, without Spark jobs.

Every ``add`` action of a Delta commit carries the file's statistics, and
Delta writes ``numRecords`` into them (removes carry them too), so a table's
row count follows from its log: the rows of the files added minus those of the
files removed, less the rows marked deleted by deletion vectors. A
``DeltaRowCount`` keeps that sum up to date by reading only the commits that
appeared since its last look (one small object read per new version, one
failed read when nothing changed): a live view can poll a dozen tables every
few seconds without taking a core from the streams.

Where the log starts with a checkpoint (Delta writes one every ten commits and
may then clean up older commits) the count at that version comes once from
``count_at``: Delta's metadata-only count, answered from the same statistics.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from app.platform.errors import StorageNotFoundError
from app.platform.storage import ObjectStore

LOG_FOLDER = "_delta_log"


def commit_name(version: int) -> str:
    return f"{version:020d}.json"


def logical_rows(action: dict[str, Any]) -> int | None:
    """Rows an add/remove action's file holds, less those its deletion vector marks deleted."""
    stats = action.get("stats")
    if not stats:
        return None
    records = json.loads(stats).get("numRecords")
    if records is None:
        return None
    deleted = (action.get("deletionVector") or {}).get("cardinality", 0)
    return int(records) - int(deleted)


def rows_changed(commit: bytes) -> int | None:
    """Net rows a commit adds (negative when it removes more); None when a file lacks stats."""
    net = 0
    for line in commit.decode("utf-8").splitlines():
        if not line.strip():
            continue
        action = json.loads(line)
        for kind, sign in (("add", 1), ("remove", -1)):
            if kind in action:
                rows = logical_rows(action[kind])
                if rows is None:
                    return None
                net += sign * rows
    return net


class DeltaRowCount:
    """One table's row count, kept up to date from its Delta log.

    Args:
        store: the storage location holding the table's folder.
        folder: the table's folder in ``store`` (holding ``_delta_log/``).
        count_at: the row count at a version, used once when the log starts
            with a checkpoint (and again if a commit lacks statistics).
    """

    def __init__(
        self, store: ObjectStore, folder: str, count_at: Callable[[int], int]
    ) -> None:
        self.store = store
        self.log = f"{folder.strip('/')}/{LOG_FOLDER}"
        self.count_at = count_at
        self.version = -1
        self.rows: int | None = None

    def _read(self, name: str) -> bytes | None:
        try:
            return self.store.get_bytes(f"{self.log}/{name}")
        except StorageNotFoundError:
            return None

    def _start(self) -> None:
        """Begin at the last checkpoint (counted once by Delta), else at version 0."""
        pointer = self._read("_last_checkpoint")
        if pointer is not None:
            version = int(json.loads(pointer)["version"])
            self.rows, self.version = self.count_at(version), version
        elif self._read(commit_name(0)) is not None:
            self.rows, self.version = 0, -1

    def refresh(self) -> int | None:
        """The row count at the newest version; None while the table has no log."""
        if self.rows is None:
            self._start()
            if self.rows is None:
                return None
        while True:
            commit = self._read(commit_name(self.version + 1))
            if commit is None:
                return self.rows
            net = rows_changed(commit)
            self.version += 1
            self.rows = self.count_at(self.version) if net is None else self.rows + net
