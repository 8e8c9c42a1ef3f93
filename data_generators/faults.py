"""File-level writing with faults: duplicates, malformed lines, CRLF, blank lines.

A ``FileBuilder`` streams lines of one landed file to a temporary file and
records what a correct pipeline must make of them: well-formed records (for
bronze counts) and malformed lines (line number and raw text, for the
quarantine). Decisions are seeded by (seed, "faults", ..., file path).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from data_generators.seeds import rng
from data_generators.sinks import Sink
from data_generators.spec import Faults

KAFKA = "kafka"
REGISTERED_USERS = "registered_users"
GYM_LOGINS = "gym_logins"


def dup_name(rel: str) -> str:
    """Name of a duplicated file: ``set-0001-part-0002.json`` -> ``set-0001-part-0002-dup.json``."""
    stem, dot, ext = rel.rpartition(".")
    return f"{stem}-dup.{ext}" if dot else f"{rel}-dup"


def corrupt(kind: str, line: str, choice: int) -> tuple[str, str]:
    """A malformed variant of a well-formed line and the reason it is malformed."""
    if kind == KAFKA:
        record: dict[str, Any] = json.loads(line)
        if choice == 0:
            return line[: max(1, len(line) // 2)], "broken json"
        if choice == 1:
            name = ("partition", "offset", "timestamp")[len(line) % 3]
            record[name] = f"x{record[name]}"
            return json.dumps(record, separators=(",", ":")), f"wrong type: {name}"
        name = ("value", "topic", "timestamp")[len(line) % 3]
        del record[name]
        return json.dumps(record, separators=(",", ":")), f"missing field: {name}"
    cells = line.split(",")
    if kind == REGISTERED_USERS:
        if choice in (0, 1):
            i, name = (
                (0, "user_id"), (1, "device_id"), (3, "registration_timestamp")
            )[len(line) % 3]
            cells[i] = f"x{cells[i]}"
            return ",".join(cells), f"wrong type: {name}"
        i, name = ((0, "user_id"), (2, "mac_address"))[len(line) % 2]
        cells[i] = ""
        return ",".join(cells), f"missing field: {name}"
    if choice in (0, 1):
        i, name = ((1, "gym"), (2, "login"))[len(line) % 2]
        cells[i] = f"x{cells[i]}"
        return ",".join(cells), f"wrong type: {name}"
    i, name = ((0, "mac_address"), (2, "login"))[len(line) % 2]
    cells[i] = ""
    return ",".join(cells), f"missing field: {name}"


@dataclass
class FileResult:
    """What one landed file holds (a duplicated file counts twice)."""

    paths: list[str]
    source: str
    records: int
    malformed: list[dict[str, Any]]
    duplicates: int
    bytes: int
    crlf: bool
    blank_lines: bool
    extra: dict[str, int] = field(default_factory=dict)


class FileBuilder:
    """Writes one file's lines with its faults, then commits it whole."""

    def __init__(
        self, sink: Sink, rel: str, kind: str, faults: Faults, seed: int,
        header: str | None = None,
    ) -> None:
        self.sink, self.rel, self.kind, self.faults = sink, rel, kind, faults
        g = rng(seed, "faults", "file", rel)
        draws = g.random(3)
        self.crlf = bool(draws[0] < faults.crlf)
        self.blank_lines = bool(draws[1] < faults.blank_lines)
        self.duplicate_file = bool(draws[2] < faults.duplicate_files)
        self.blank_count = int(g.integers(1, 4))
        self.g = rng(seed, "faults", "records", rel)
        self.eol = "\r\n" if self.crlf else "\n"
        self.tmp = sink.temp_path(rel)
        self.fh = open(self.tmp, "w", encoding="utf-8", newline="")
        self.line_no = 0
        self.records = 0
        self.duplicates = 0
        self.malformed: list[dict[str, Any]] = []
        self.bytes = 0
        if header is not None:
            self._write([header])

    def _write(self, lines: list[str]) -> None:
        if not lines:
            return
        text = self.eol.join(lines) + self.eol
        self.fh.write(text)
        self.bytes += len(text.encode("utf-8")) if not text.isascii() else len(text)
        self.line_no += len(lines)

    def add(self, lines: list[str]) -> None:
        """Append well-formed records (duplicates and malformed lines are added here)."""
        f = self.faults
        if f.duplicates <= 0 and f.malformed <= 0:
            self._write(lines)
            self.records += len(lines)
            return
        n = len(lines)
        dup = self.g.random(n) < f.duplicates
        bad = self.g.random(n) < f.malformed
        choice = self.g.integers(0, 3, n)
        out: list[str] = []
        base = self.line_no
        for i, line in enumerate(lines):
            out.append(line)
            if dup[i]:
                out.append(line)
                self.duplicates += 1
            if bad[i]:
                raw, reason = corrupt(self.kind, line, int(choice[i]))
                out.append(raw)
                self.malformed.append({
                    "source_file": self.rel, "line": base + len(out), "raw": raw,
                    "reason": reason,
                })
        self.records += n + int(dup.sum())
        self._write(out)

    def finish(self) -> FileResult:
        if self.blank_lines:
            self.fh.write(self.eol * self.blank_count)
            self.bytes += len(self.eol) * self.blank_count
        self.fh.close()
        paths = [self.rel] + ([dup_name(self.rel)] if self.duplicate_file else [])
        self.sink.commit(paths, self.tmp)
        malformed = list(self.malformed)
        if self.duplicate_file:
            malformed += [{**m, "source_file": paths[1]} for m in self.malformed]
        copies = len(paths)
        return FileResult(
            paths=paths, source=self.kind, records=self.records * copies, malformed=malformed,
            duplicates=self.duplicates * copies, bytes=self.bytes * copies, crlf=self.crlf,
            blank_lines=self.blank_lines,
        )
