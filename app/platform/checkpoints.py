"""Crash leftovers in streaming checkpoints, removed by the one process allowed to write them.

Spark writes every checkpoint file (``offsets/N``, ``commits/N``, state
files) under a temporary name, ``.<name>.<uuid>.tmp``, then renames it. A
process killed between the two leaves the temporary file behind. Spark
ignores it when reading, but Spark 4 refuses to start a stream whose first
batch finds anything in ``offsets/``: a kill during a stream's very first
offset write stops that stream for good (``STATE_STORE_CHECKPOINT_LOCATION_
NOT_EMPTY``). On Azure storage without a hierarchical namespace a rename is a
copy and a delete, which widens the window.

A stream stopped in the middle of a write leaves the same file: Spark
interrupts the query's thread, and an interrupted write is neither finished
nor cleaned up. A process that stops its streams this way and starts them
again (a test, a notebook) meets the refusal without any crash.

Such a file is a write that never completed, so removing it loses nothing.
It is only safe while nothing writes that checkpoint: the holder of the
pipeline lock (``app/platform/lock.py``) clears all of them right after taking
it, and every stream start clears its own checkpoint's (``streaming.start``),
when no query of this session runs on it.
"""

from __future__ import annotations

import logging

from app.platform.storage import ObjectStore

log = logging.getLogger(__name__)

CHECKPOINTS = "checkpoints/"


def has_started(store: ObjectStore, stream: str) -> bool:
    """True when ``stream`` has a checkpoint: Spark writes ``<checkpoint>/metadata`` (the
    query id) when the query first starts, before its first batch, and never removes it."""
    return store.exists(f"{CHECKPOINTS}{stream}/metadata")


def is_torn_write(path: str) -> bool:
    """True for Spark's temporary checkpoint names: ``.<name>.<uuid>.tmp`` (and its ``.crc``)."""
    name = path.rsplit("/", 1)[-1]
    return name.startswith(".") and name.endswith((".tmp", ".tmp.crc"))


def remove_torn_writes(store: ObjectStore, prefix: str = CHECKPOINTS) -> list[str]:
    """Delete the temporary files killed or interrupted writers left under ``prefix``
    (every stream's checkpoint by default); returns them."""
    torn = [p for p in store.list(prefix) if is_torn_write(p)]
    for path in torn:
        store.delete_prefix(path)
    if torn:
        log.warning("removed %d unfinished checkpoint writes left by a killed or interrupted "
                    "run: %s",
                    len(torn), ", ".join(torn[:5]) + (" ..." if len(torn) > 5 else ""))
    return torn
