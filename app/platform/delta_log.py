"""Row counts of Delta tables read from their transaction logs, without Spark jobs.

Every ``add`` action of a Delta commit carries the file's statistics, and
Delta writes ``numRecords`` into them (removes carry them too), so a table's
row count follows from its log: the rows of the files added minus those of the
files removed, less the rows marked deleted by deletion vectors. A
``DeltaRowCount`` keeps that sum up to date by reading only the commits that
appeared since its last look (one small object read per new version, one
failed read when nothing changed): a live view can poll a dozen tables every
few seconds without taking a core from the streams.

A new counter reads the log from version 0 while it is short; for a long log
(or one whose early commits were cleaned up) the count at the last checkpoint
comes once from ``count_at``: Delta's metadata-only count, answered from the
same statistics.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from app.platform.errors import StorageNotFoundError
from app.platform.storage import ObjectStore

LOG_FOLDER = "_delta_log"
# Up to this many commits a new counter reads the log from version 0 (small
# object reads, no Spark job); a longer log starts at its last checkpoint.
REPLAY_LIMIT = 100


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
        """Begin at version 0 while the log still holds it and is short enough to read
        commit by commit, else at the last checkpoint (counted once by Delta)."""
        pointer = self._read("_last_checkpoint")
        checkpoint = int(json.loads(pointer)["version"]) if pointer is not None else None
        if (checkpoint is None or checkpoint < REPLAY_LIMIT) and (
            self._read(commit_name(0)) is not None
        ):
            self.rows, self.version = 0, -1
        elif checkpoint is not None:
            self.rows, self.version = self.count_at(checkpoint), checkpoint

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
