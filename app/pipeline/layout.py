"""Which queries an environment runs: one bronze query over every landing folder, or,
where an earlier version started them, one per folder.

Up to this version each landing folder had a bronze stream of its own
(``settings.LEGACY_STREAMS``, checkpoint ``checkpoints/<bronze table>``).
Since then one query (``settings.BRONZE_STREAM``) reads the three folders: on
2 cores the two small CSV streams' batches, each with its own trigger, plan
and commits, cost as much as the Kafka stream's. A file source's progress
cannot move from one checkpoint into another, and a new query would take
every landed file again (bronze appends them), so an environment whose
bronze streams an earlier version started keeps them: the same writer over
one folder each, resuming from their checkpoints.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.pipeline import settings
from app.platform import checkpoints

if TYPE_CHECKING:
    from app.platform.lakehouse import Lakehouse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Layout:
    """The streams of one environment: what each writes, and run once's stages."""

    streams: dict[str, tuple[str, ...]]
    legacy: bool = False

    @property
    def bronze(self) -> dict[str, tuple[str, ...]]:
        """Each bronze stream and the landing folders (bronze tables) it reads, in source order."""
        if self.legacy:
            return {b: (b,) for b in settings.BRONZE}
        return dict(settings.BRONZE_STREAMS)

    @property
    def stream_of(self) -> dict[str, str]:
        """The stream that writes each table."""
        return {t: s for s, tables in self.streams.items() for t in tables}

    @property
    def stages(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Run once: stage after stage, as ``settings.STAGES`` with this layout's bronze streams."""
        return (("bronze+silver", tuple(self.bronze)),
                ("silver+gold", (settings.GOLD_STREAM,)))

    def source(self, table: str) -> tuple[str, int]:
        """The bronze stream reading ``table``'s landing folder and its source's index
        (``checkpoints/<stream>/sources/<index>``)."""
        for stream, tables in self.bronze.items():
            if table in tables:
                return stream, tables.index(table)
        raise KeyError(table)


CURRENT = Layout(dict(settings.STREAMS))
LEGACY = Layout(dict(settings.LEGACY_STREAMS), legacy=True)


def of(lh: Lakehouse) -> Layout:
    """``LEGACY`` when a per-folder bronze stream has a checkpoint and the one bronze
    stream has none; else ``CURRENT`` (also when the checkpoints cannot be read
    as objects, as on Databricks: a few object reads)."""
    try:
        store = lh.store("checkpoint")
        if checkpoints.has_started(store, settings.BRONZE_STREAM):
            return CURRENT
        if any(checkpoints.has_started(store, b) for b in settings.BRONZE):
            return LEGACY
    except Exception as exc:  # the checkpoint location is not readable as objects here
        log.warning("could not look for the bronze streams' checkpoints: %s", exc)
    return CURRENT
