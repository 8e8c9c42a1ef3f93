"""Crash leftovers in streaming checkpoints, removed by the one process allowed to write them.

Spark writes every checkpoint file (``offsets/N``, ``commits/N``, state
files) under a temporary name, ``.<name>.<uuid>.tmp``, then renames it. A
process killed between the two leaves the temporary file behind. Spark
ignores it when reading, but Spark 4 refuses to start a stream whose first
batch finds anything in ``offsets/``: a kill during a stream's very first
offset write stops that stream for good (``STATE_STORE_CHECKPOINT_LOCATION_
NOT_EMPTY``). On Azure storage without a hierarchical namespace a rename is a
copy and a delete, which widens the window.

Such a file is a write that never completed, so removing it loses nothing.
It is only safe while no other process writes the checkpoints: the holder
of the pipeline lock (``app/platform/lock.py``) does it right after taking it.
"""

from __future__ import annotations

import logging

from app.platform.storage import ObjectStore

log = logging.getLogger(__name__)

CHECKPOINTS = "checkpoints/"


def is_torn_write(path: str) -> bool:
    """True for Spark's temporary checkpoint names: ``.<name>.<uuid>.tmp`` (and its ``.crc``)."""
    name = path.rsplit("/", 1)[-1]
    return name.startswith(".") and name.endswith((".tmp", ".tmp.crc"))


def remove_torn_writes(store: ObjectStore) -> list[str]:
    """Delete the temporary files killed writers left under ``checkpoints/``; returns them."""
    torn = [p for p in store.list(CHECKPOINTS) if is_torn_write(p)]
    for path in torn:
        store.delete_prefix(path)
    if torn:
        log.warning("removed %d unfinished checkpoint writes left by a killed run: %s",
                    len(torn), ", ".join(torn[:5]) + (" ..." if len(torn) > 5 else ""))
    return torn
