"""Read landed files back in plain Python (independently of the generator's tallies)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RAW = {
    "registered_users_bz": ("raw/registered_users_bz", ".csv"),
    "gym_logins_bz": ("raw/gym_logins_bz", ".csv"),
    "kafka_multiplex_bz": ("raw/kafka_multiplex_bz", ".json"),
}
KAFKA_FIELDS = {"key": str, "value": str, "topic": str, "partition": int, "offset": int,
                "timestamp": int}


def lines_of(path: Path) -> Iterator[tuple[int, str]]:
    """(1-based line number, text without line ending) of every non-blank line."""
    text = path.read_bytes().decode("utf-8")
    for i, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if line.strip():
            yield i, line


def _float(x: str) -> bool:
    try:
        float(x)
    except ValueError:
        return False
    return True


def well_formed(table: str, line: str) -> dict[str, Any] | None:
    """The parsed record, or None when a correct pipeline must quarantine the line."""
    if table == "kafka_multiplex_bz":
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            return None
        for name, typ in KAFKA_FIELDS.items():
            if not isinstance(rec.get(name), typ):
                return None
        return rec
    cells = next(csv.reader(io.StringIO(line)))
    if table == "registered_users_bz":
        ok = (len(cells) == 4 and cells[0].isdigit() and cells[1].isdigit() and cells[2]
              and _float(cells[3]))
        return dict(zip(("user_id", "device_id", "mac_address", "registration_timestamp"),
                        cells, strict=True)) if ok else None
    ok = (len(cells) == 4 and cells[0] and cells[1].isdigit() and _float(cells[2])
          and (cells[3] == "" or _float(cells[3])))
    return dict(zip(("mac_address", "gym", "login", "logout"), cells, strict=True)) if ok else None


@dataclass
class Landed:
    counts: dict[str, int] = field(default_factory=dict)
    bad: set[tuple[str, int]] = field(default_factory=set)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def read_landed(root: Path) -> Landed:
    out = Landed()
    for table, (folder, ext) in RAW.items():
        out.counts[table] = 0
        out.records[table] = []
        for path in sorted((root / folder).glob(f"*{ext}")):
            rel = path.relative_to(root).as_posix()
            for no, line in lines_of(path):
                if ext == ".csv" and no == 1:
                    continue  # header
                rec = well_formed(table, line)
                if rec is None:
                    out.bad.add((rel, no))
                else:
                    out.counts[table] += 1
                    out.records[table].append(rec)
    return out
