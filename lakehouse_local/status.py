"""`make status`: every table's row count and each stream's checkpoint position."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from app.pipeline import layout, settings
from app.platform import checkpoints

if TYPE_CHECKING:
    from app.platform.config import LakehouseConfig
    from app.platform.lakehouse import Lakehouse

def table_rows(lh: Lakehouse) -> dict[str, int | None]:
    """Row count of every table and view; None when it does not exist.

    Tables are counted from their Delta logs (no scan, so `make status` does
    not slow a running `make stream`); a view has no log and is counted.
    """
    present = lh.existing()
    out: dict[str, int | None] = {}
    for t in settings.TABLES:
        if t not in present:
            out[t] = None
        elif lh.names.unity:  # Unity Catalog keeps the folders: ask Delta
            out[t] = lh.spark.table(lh.table(t)).count()
        else:
            out[t] = lh.row_count(t).refresh()
    for v in settings.VIEWS:
        out[v] = lh.spark.table(lh.table(v)).count() if v in present else None
    return out


def _latest(names: list[str], folder: str) -> int | None:
    ids = [int(n.rsplit("/", 1)[-1]) for n in names
           if n.startswith(folder) and n.rsplit("/", 1)[-1].isdigit()]
    return max(ids) if ids else None


def checkpoint_position(lh: Lakehouse, stream: str) -> dict[str, Any]:
    """Latest planned and committed batch ids and the source offsets of the latest batch."""
    store = lh.store("checkpoint")
    base = f"checkpoints/{stream}/"
    names = store.list(base)
    planned = _latest(names, f"{base}offsets/")
    committed = _latest(names, f"{base}commits/")
    offsets: list[Any] = []
    if planned is not None:
        lines = store.get_bytes(f"{base}offsets/{planned}").decode().splitlines()
        # Line 1 is the log version, line 2 the batch metadata, then one line per source.
        for line in lines[2:]:
            try:
                offsets.append(json.loads(line))
            except ValueError:
                offsets.append(line)
    return {"batch": planned, "committed": committed, "offsets": offsets}


def _short(offset: Any) -> str:
    if isinstance(offset, dict):
        if "reservoirVersion" in offset:
            return f"delta v{offset['reservoirVersion']}/{offset.get('index')}"
        if "logOffset" in offset:
            return f"files log {offset['logOffset']}"
        return json.dumps(offset, separators=(",", ":"))[:40]
    return str(offset)[:40]


def streams_to_show(lh: Lakehouse) -> tuple[str, ...]:
    """The streams this environment runs, then any other stream of this pipeline's past
    that left a checkpoint (one object read each)."""
    runs = tuple(layout.of(lh).streams)
    store = lh.store("checkpoint")
    known = dict.fromkeys((*settings.STREAMS, *settings.LEGACY_STREAMS, *settings.RETIRED_STREAMS))
    past = tuple(s for s in known if s not in runs and checkpoints.has_started(store, s))
    return runs + past


def print_status(config: LakehouseConfig) -> None:
    """Print every table's row count and each stream's checkpoint position."""
    from app.platform.lakehouse import Lakehouse

    lh = Lakehouse(config)
    rows = table_rows(lh)
    print(f"tables in {lh.database}:")
    for table, n in rows.items():
        print(f"  {table:<22} {'(missing)' if n is None else f'{n:>12,} rows'}")
    print(f"streams (checkpoints under {lh.path('checkpoint', 'checkpoints')}):")
    streamed = streams_to_show(lh)
    width = max(map(len, streamed)) + 1
    for stream in streamed:
        pos = checkpoint_position(lh, stream)
        if pos["batch"] is None:
            print(f"  {stream:<{width}} no checkpoint yet")
            continue
        sources = ", ".join(_short(o) for o in pos["offsets"])
        print(
            f"  {stream:<{width}} batch {pos['batch']} (committed {pos['committed']}) "
            f"sources: {sources}"
        )
