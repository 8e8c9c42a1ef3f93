"""Hostile landing files, each built with the verdict every line of it must get.

A case is one or more files (``Landed``) with, per file, how many good
records bronze must hold from it and which bad lines quarantine must hold
(``Bad``: a piece of the reason, and the raw text where it is fixed). Good
records always repeat a record of the normal set (same key and values), so
silver and gold must not change. Every choice is drawn from
``random.Random`` seeded by (seed, round, case): a case is replayed exactly.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fuzz.material import GYM_DIR, HEADERS, KAFKA_DIR, USERS_DIR, Material, case_file

MIB = 1 << 20
LIMIT = MIB  # LAKEHOUSE_MAX_RECORD_BYTES's default
RAW_CHARS = 65_536  # settings.QUARANTINE_RAW_CHARS
BLANK_BYTES = frozenset(b" \t\x0b\x0c")  # whitespace of Java's \s, newlines split already
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Bad:
    """A line quarantine must hold: a piece of its reason ("" = any) and its raw text."""

    reason: str = ""
    raw: str | None = None


@dataclass
class Landed:
    """One file a case lands, with what bronze and quarantine must hold from it."""

    path: str
    data: bytes
    good: int = 0
    bad: list[Bad] = field(default_factory=list)
    phase: str = "a"  # "a": before the round's first run; "b": before its second
    rewrite_of: Landed | None = None  # rewrites an ingested path: must change nothing


@dataclass
class Case:
    id: str
    kind: str
    files: list[Landed]


# --- helpers -----------------------------------------------------------------------
def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record)


def with_value(record: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A Kafka record whose value document has ``changes`` (None deletes a field)."""
    value = json.loads(record["value"])
    for k, v in changes.items():
        if v is _DROP:
            value.pop(k, None)
        else:
            value[k] = v
    return {**record, "value": json.dumps(value)}


_DROP = object()


def lines_bytes(lines: list[str], eol: str = "\n") -> bytes:
    return "".join(line + eol for line in lines).encode("utf-8")


def judge_garbage(data: bytes) -> list[Bad]:
    """Bad lines of a file of arbitrary bytes: every line but the blank ones.

    Lines split as the text reader splits them (``\\n``, ``\\r\\n``, ``\\r``); a
    leading UTF-8 byte-order mark is dropped; a line of at most 64 whitespace
    characters is blank. The raw text is fixed only for valid UTF-8.
    """
    out = []
    for line in data.splitlines():
        body = line[len(BOM):] if line.startswith(BOM) else line
        if len(body) <= 64 and all(b in BLANK_BYTES for b in body):
            continue
        try:
            raw: str | None = body.decode("utf-8")
        except UnicodeDecodeError:
            raw = None
        if raw is not None and len(body) > LIMIT:
            raw = raw[:RAW_CHARS]
        out.append(Bad("", raw))
    return out


class Builder:
    """Draws one case's choices and names its files."""

    def __init__(self, rng: random.Random, material: Material, case_id: str) -> None:
        self.rng, self.m, self.case_id = rng, material, case_id
        self.n = 0

    def path(self, folder: str, ext: str) -> str:
        self.n += 1
        return case_file(folder, f"{self.case_id}-{self.n}", ext)

    def kafka(self, k: int = 1, topic: str | None = None) -> list[dict[str, Any]]:
        pool = self.m.by_topic(topic) if topic else self.m.kafka
        return [dict(r) for r in self.rng.sample(pool, min(k, len(pool)))]

    def user_row(self) -> list[str]:
        return list(self.rng.choice(self.m.users))

    def gym_row(self) -> list[str]:
        with_logout = [r for r in self.m.gym if r[3]]
        return list(self.rng.choice(with_logout or self.m.gym))


Make = Callable[[Builder], list[Landed]]


# --- the cases ------------------------------------------------------------------------
def truncated(b: Builder) -> list[Landed]:
    """A file cut short inside its last line: the lines before it load, the stub does not."""
    if b.rng.random() < 0.7:
        lines = [dumps(r) for r in b.kafka(b.rng.randint(1, 6))]
        cut = b.rng.randint(1, len(lines[-1]) - 1)
        stub = lines[-1][:cut]
        data = lines_bytes(lines[:-1]) + stub.encode()
        return [Landed(b.path(KAFKA_DIR, "json"), data, len(lines) - 1,
                       [Bad("not a valid JSON record", stub)])]
    row = b.user_row()
    # Cut inside the first two fields: whatever is left has fewer than 4 fields.
    stub = ",".join(row)[: b.rng.randint(1, len(row[0]) + len(row[1]) + 1)]
    data = (HEADERS[USERS_DIR] + "\n" + ",".join(b.user_row()) + "\n" + stub).encode()
    return [Landed(b.path(USERS_DIR, "csv"), data, 1, [Bad("fields, found", stub)])]


def binary_garbage(b: Builder) -> list[Landed]:
    """Random bytes, newlines included, in any landing folder: every non-blank line is bad."""
    size = b.rng.choice((16, 200, 4096))
    data = bytes(b.rng.getrandbits(8) for _ in range(size))
    folder = b.rng.choice((KAFKA_DIR, KAFKA_DIR, USERS_DIR, GYM_DIR))
    return [Landed(b.path(folder, "json" if folder == KAFKA_DIR else "csv"), data, 0,
                   judge_garbage(data))]


INVALID_UTF8 = (b"\xff", b"\xfe", b"\x80", b"\xc3(", b"\xe2\x28\xa1", b"\xf0\x28\x8c\x28")


def invalid_utf8(b: Builder) -> list[Landed]:
    """A byte sequence that is no UTF-8 inside a string of one record: that line is bad."""
    records = b.kafka(b.rng.randint(2, 5))
    broken = b.rng.randrange(len(records))
    out = bytearray()
    bad = []
    for i, r in enumerate(records):
        line = dumps(r).encode()
        if i == broken:
            at = line.index(b'"value": "') + len(b'"value": "') + 1
            line = line[:at] + b.rng.choice(INVALID_UTF8) + line[at:]
            bad.append(Bad("not valid UTF-8"))
        out += line + b"\n"
    return [Landed(b.path(KAFKA_DIR, "json"), bytes(out), len(records) - 1, bad)]


def byte_order_marks(b: Builder) -> list[Landed]:
    """A UTF-8 BOM opens a file (it loads); a UTF-16 file is bad on every line."""
    choice = b.rng.randrange(3)
    if choice == 0:
        lines = [dumps(r) for r in b.kafka(b.rng.randint(1, 4))]
        return [Landed(b.path(KAFKA_DIR, "json"), BOM + lines_bytes(lines), len(lines))]
    if choice == 1:
        rows = [",".join(b.user_row()) for _ in range(b.rng.randint(1, 3))]
        data = BOM + lines_bytes([HEADERS[USERS_DIR], *rows], "\r\n")
        return [Landed(b.path(USERS_DIR, "csv"), data, len(rows))]
    lines = [dumps(r) for r in b.kafka(2)]
    data = "".join(line + "\n" for line in lines).encode("utf-16")
    return [Landed(b.path(KAFKA_DIR, "json"), data, 0, judge_garbage(data))]


def huge_lines(b: Builder) -> list[Landed]:
    """Records over the 1 MiB limit are quarantined, cut, with their size; under it they load."""
    record = b.kafka(1)[0]
    choice = b.rng.randrange(4)
    if choice == 0:  # one record with a huge extra field
        line = dumps({**record, "padding": "x" * b.rng.randint(LIMIT, 3 * MIB)})
        bad = [Bad(f"record is {len(line.encode())} bytes, over the limit", line[:RAW_CHARS])]
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line]), 0, bad)]
    if choice == 1:  # big, but under the limit: an ordinary record
        line = dumps({**record, "padding": "y" * b.rng.randint(100_000, LIMIT - 4096)})
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line, dumps(record)]), 2)]
    if choice == 2:  # megabytes of records run together on one line
        pool = [dumps(r) for r in b.kafka(200)]
        parts: list[str] = []
        while sum(map(len, parts)) <= LIMIT + 10_000:
            parts.append(b.rng.choice(pool))
        line = "".join(parts)
        bad = [Bad(f"record is {len(line.encode())} bytes, over the limit", line[:RAW_CHARS])]
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([dumps(record), line]), 1, bad)]
    # One huge line of garbage (no line break in it).
    pattern = bytes(b.rng.choice(range(14, 256)) for _ in range(64))
    data = pattern * (b.rng.randint(LIMIT, 2 * MIB) // 64)
    return [Landed(b.path(KAFKA_DIR, "json"), data, 0, judge_garbage(data))]


def empty_files(b: Builder) -> list[Landed]:
    """Empty or blank files: nothing in bronze, nothing in quarantine."""
    data = b.rng.choice((b"", b"\n", b"\r\n\r\n", b"   \n\t\n", BOM, BOM + b"\n \n"))
    folder = b.rng.choice((KAFKA_DIR, USERS_DIR, GYM_DIR))
    return [Landed(b.path(folder, "json" if folder == KAFKA_DIR else "csv"), data)]


def extra_columns(b: Builder) -> list[Landed]:
    """Extra JSON fields (scalar, object, array) load; an extra CSV column does not."""
    if b.rng.random() < 0.6:
        extra = b.rng.choice((1, "x", None, {"a": [1, {"b": "]"}]}, [1, 2], True))
        record = b.kafka(1)[0]
        lines = [dumps({**record, "headers": extra})]
        if record["topic"] != "user_info":  # a profile copy with more fields stays the same
            lines.append(dumps(with_value(record, note="extra")))
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes(lines), len(lines))]
    row = b.user_row() + ["extra"]
    data = lines_bytes([HEADERS[USERS_DIR], ",".join(row)])
    return [Landed(b.path(USERS_DIR, "csv"), data, 0, [Bad("expected 4 fields, found 5",
                                                           ",".join(row))])]


def missing_columns(b: Builder) -> list[Landed]:
    """A required field missing is bad; key, partition and offset are not required."""
    record = b.kafka(1)[0]
    choice = b.rng.randrange(4)
    if choice == 0:
        name = b.rng.choice(("value", "topic", "timestamp"))
        line = dumps({k: v for k, v in record.items() if k != name})
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line]), 0,
                       [Bad(f"field '{name}' is missing", line)])]
    if choice == 1:
        name = b.rng.choice(("key", "partition", "offset"))
        line = dumps({k: v for k, v in record.items() if k != name})
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line]), 1)]
    if choice == 2:
        required = {"bpm": ("device_id", "time", "heartrate"),
                    "workout": ("user_id", "workout_id", "timestamp", "action", "session_id"),
                    "user_info": ("user_id", "update_type", "timestamp")}[record["topic"]]
        name = b.rng.choice(required)
        line = dumps(with_value(record, **{name: _DROP}))
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line]), 0,
                       [Bad(f"value field '{name}' is missing", line)])]
    row = b.user_row()[:3]
    data = lines_bytes([HEADERS[USERS_DIR], ",".join(row)])
    return [Landed(b.path(USERS_DIR, "csv"), data, 0,
                   [Bad("expected 4 fields, found 3", ",".join(row))])]


def wrong_types(b: Builder) -> list[Landed]:
    """A field of another type than the schema's is bad, outside or inside the value."""
    record = b.kafka(1)[0]
    choice = b.rng.randrange(3)
    value: Any
    if choice == 0:
        name, value = b.rng.choice((
            ("partition", "x1"), ("partition", 1.5), ("offset", True), ("offset", "7"),
            ("timestamp", "soon"), ("timestamp", [1]),
        ))
        line = dumps({**record, name: value})
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line]), 0,
                       [Bad(f"field '{name}' value", line)])]
    if choice == 1:
        topic = record["topic"]
        name, value = b.rng.choice({
            "bpm": (("device_id", "11"), ("heartrate", "90"), ("device_id", 1.5),
                    ("time", "yesterday")),
            "workout": (("user_id", "1"), ("session_id", 2.5), ("workout_id", [3]),
                        ("timestamp", "t")),
            "user_info": (("user_id", "1"), ("timestamp", "now"), ("address", "street")),
        }[topic])
        line = dumps(with_value(record, **{name: value}))
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line]), 0,
                       [Bad(f"value field '{name}' value", line)])]
    row = b.user_row()
    i, name = b.rng.choice(((0, "user_id"), (1, "device_id"), (3, "registration_timestamp")))
    row[i] = "x" + row[i]
    data = lines_bytes([HEADERS[USERS_DIR], ",".join(row)])
    return [Landed(b.path(USERS_DIR, "csv"), data, 0,
                   [Bad(f"field '{name}' value 'x", ",".join(row))])]


def null_keys(b: Builder) -> list[Landed]:
    """A key field null (or empty in a CSV) is bad; a null Kafka key is not required."""
    record = b.kafka(1)[0]
    choice = b.rng.randrange(4)
    if choice == 0:
        key = {"bpm": "device_id", "workout": "user_id", "user_info": "user_id"}[record["topic"]]
        line = dumps(with_value(record, **{key: None}))
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line]), 0,
                       [Bad(f"value field '{key}' is missing", line)])]
    if choice == 1:
        name = b.rng.choice(("value", "topic"))
        line = dumps({**record, name: None})
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line]), 0,
                       [Bad(f"field '{name}' is missing", line)])]
    if choice == 2:
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([dumps({**record, "key": None})]),
                       1)]
    if b.rng.random() < 0.5:
        row = b.user_row()
        row[0] = ""
        folder, name = USERS_DIR, "user_id"
    else:
        row = b.gym_row()
        row[0] = ""
        folder, name = GYM_DIR, "mac_address"
    data = lines_bytes([HEADERS[folder], ",".join(row)])
    return [Landed(b.path(folder, "csv"), data, 0, [Bad(f"field '{name}' is missing",
                                                        ",".join(row))])]


FAR_KAFKA = (1e20, 9.3e18, -1, 0, 946_684_799_000, 946_684_799, 99_999_999_999,
             4_102_444_800_000, 1e13 * 1000)
FAR_SECONDS = (1e12, -5.0, 946_684_799.0, 4_102_444_800.0, 1e15, 253_402_300_800.0)
FAR_BPM = ("1999-12-31 23:59:59", "1970-01-01 00:00:00", "2100-01-01 00:00:00",
           "9999-12-31 23:59:59", "1900-06-01 12:00:00")


def far_times(b: Builder) -> list[Landed]:
    """Event times outside 2000-01-01 .. landed + 1 day, in every field that holds one."""
    choice = b.rng.randrange(4)
    window = "outside the plausible window"
    if choice == 0:
        line = dumps({**b.kafka(1)[0], "timestamp": b.rng.choice(FAR_KAFKA)})
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line]), 0, [Bad(window, line)])]
    if choice == 1:
        record = b.kafka(1, b.rng.choice(("workout", "user_info")))[0]
        line = dumps(with_value(record, timestamp=b.rng.choice(FAR_SECONDS)))
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line]), 0, [Bad(window, line)])]
    if choice == 2:
        line = dumps(with_value(b.kafka(1, "bpm")[0], time=b.rng.choice(FAR_BPM)))
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line]), 0, [Bad(window, line)])]
    far = repr(b.rng.choice(FAR_SECONDS))
    if b.rng.random() < 0.5:
        row = b.user_row()
        row[3] = far
        folder = USERS_DIR
    else:
        row = b.gym_row()
        row[b.rng.choice((2, 3))] = far
        folder = GYM_DIR
    return [Landed(b.path(folder, "csv"), lines_bytes([HEADERS[folder], ",".join(row)]), 0,
                   [Bad(window, ",".join(row))])]


def not_finite(b: Builder) -> list[Landed]:
    """NaN and infinities, as JSON tokens, JSON strings and CSV cells, are never good."""
    choice = b.rng.randrange(3)
    token = b.rng.choice(("NaN", "Infinity", "-Infinity"))
    if choice == 0:
        line = dumps(b.kafka(1)[0])
        at = line.index('"timestamp": ') + len('"timestamp": ')
        end = line.index("}", at) if "," not in line[at:] else line.index(",", at)
        line = line[:at] + token + line[end:]
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line]), 0,
                       [Bad("is not a finite number", line)])]
    if choice == 1:
        topic = b.rng.choice(("bpm", "workout"))
        name = "heartrate" if topic == "bpm" else "timestamp"
        value = float(token.replace("Infinity", "inf")) if b.rng.random() < 0.5 else token
        line = dumps(with_value(b.kafka(1, topic)[0], **{name: value}))
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line]), 0,
                       [Bad("is not a finite number", line)])]
    row = b.user_row()
    row[3] = b.rng.choice(("NaN", "Inf", "-Inf", "Infinity", "-Infinity"))
    return [Landed(b.path(USERS_DIR, "csv"), lines_bytes([HEADERS[USERS_DIR], ",".join(row)]), 0,
                   [Bad("is not a finite number", ",".join(row))])]


def run_together(b: Builder) -> list[Landed]:
    """Records run together on one line (a lost newline): the line is bad, whole."""
    parts = [dumps(r) for r in b.kafka(b.rng.randint(2, 4))]
    line = b.rng.choice(("", " ", ",", "\t")).join(parts)
    if b.rng.random() < 0.3:
        line = parts[0] + b.rng.choice((" trailing words", "]", "] " + parts[-1], "}", "0"))
    return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([parts[0], line]), 1,
                   [Bad("", line)])]


def bad_values(b: Builder) -> list[Landed]:
    """Unknown topics, actions and update types, and dates of birth in another format."""
    choice = b.rng.randrange(4)
    if choice == 0:
        line = dumps({**b.kafka(1)[0], "topic": b.rng.choice(("heartbeat", "BPM", ""))})
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line]), 0,
                       [Bad("unknown topic", line)])]
    if choice == 1:
        line = dumps(with_value(b.kafka(1, "workout")[0], action=b.rng.choice(("pause", "STOP"))))
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line]), 0,
                       [Bad("is not one of start, stop", line)])]
    record = b.kafka(1, "user_info")[0]
    if choice == 2:
        line = dumps(with_value(record, update_type=b.rng.choice(("insert", "NEW"))))
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line]), 0,
                       [Bad("is not one of new, update, delete", line)])]
    line = dumps(with_value(record, dob=b.rng.choice(("1990-01-15", "13/45/1990", "1/5/1990"))))
    return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line]), 0,
                   [Bad("is not a date in MM/dd/yyyy", line)])]


def line_endings(b: Builder) -> list[Landed]:
    """CRLF, lone CR and mixed line endings: every record loads."""
    if b.rng.random() < 0.7:
        lines = [dumps(r) for r in b.kafka(b.rng.randint(1, 5))]
        data = b"".join(line.encode() + b.rng.choice((b"\r\n", b"\r", b"\n")) for line in lines)
        return [Landed(b.path(KAFKA_DIR, "json"), data, len(lines))]
    rows = [",".join(b.gym_row()) for _ in range(b.rng.randint(1, 3))]
    return [Landed(b.path(GYM_DIR, "csv"), lines_bytes([HEADERS[GYM_DIR], *rows], "\r"),
                   len(rows))]


def duplicate_fields(b: Builder) -> list[Landed]:
    """A JSON object naming a field twice keeps the last value (Spark and Python agree)."""
    record = b.kafka(1, b.rng.choice(("bpm", "workout")))[0]
    value = record["value"]
    name = "heartrate" if record["topic"] == "bpm" else "action"
    first = json.dumps({name: 1.5 if name == "heartrate" else "stop"})[1:-1]
    doubled = "{" + first + ", " + value[1:]  # the value's own field comes last: it wins
    line = dumps({**record, "value": doubled})
    return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([line]), 1)]


def renamed(b: Builder) -> list[Landed]:
    """A file of the normal set landed again under another name after it was ingested."""
    source = b.rng.choice([f for f in b.m.files if f.good or f.bad])
    folder, name = source.path.rsplit("/", 1)
    stem, _, ext = name.rpartition(".")
    bad = [Bad("") for _ in range(source.bad)]
    return [Landed(case_file(folder, f"{b.case_id}-renamed-{stem}", ext), source.data, source.good,
                   bad, phase="b")]


def rewritten(b: Builder) -> list[Landed]:
    """A file rewritten in place after it was ingested is not read again (Auto Loader's rule)."""
    lines = [dumps(r) for r in b.kafka(b.rng.randint(1, 3))]
    first = Landed(b.path(KAFKA_DIR, "json"), lines_bytes(lines), len(lines))
    other = b.rng.choice((b"", b"garbage\n", lines_bytes([dumps(r) for r in b.kafka(4)])))
    second = Landed(first.path, other + b"\n", phase="b", rewrite_of=first)
    return [first, second]


def conflicting_duplicates(b: Builder) -> list[Landed]:
    """A record whose table key is stored with other values, landed after it: silver keeps
    what it has (docs/domain.md: first registration, first reading or event for a key, a
    profile change only when newer, a logout only when later)."""
    choice = b.rng.randrange(5)
    if choice == 0:
        record = with_value(b.kafka(1, "bpm")[0], heartrate=round(b.rng.uniform(40, 200), 1))
    elif choice == 1:
        original = b.kafka(1, "workout")[0]
        value = json.loads(original["value"])
        record = with_value(original, action="stop" if value["action"] == "start" else "start",
                            session_id=value["session_id"] + 7)
    elif choice == 2:
        # Not a deleted user's last event: an equal-time update of a deleted row would insert.
        profiles = [r for r in b.m.by_topic("user_info")
                    if json.loads(r["value"]).get("update_type") != "delete"]
        record = with_value(b.rng.choice(profiles), city="Elsewhere", update_type="update")
    else:
        record = {}
    if record:
        return [Landed(b.path(KAFKA_DIR, "json"), lines_bytes([dumps(record)]), 1, phase="b")]
    if choice == 3:
        row = b.user_row()
        row[1] = str(int(row[1]) + 1_000_000)  # another device for the same user
        return [Landed(b.path(USERS_DIR, "csv"), lines_bytes([HEADERS[USERS_DIR], ",".join(row)]),
                       1, phase="b")]
    row = b.gym_row()
    if row[3]:
        # An earlier logout than the stored one, or one before the login: neither is taken.
        row[3] = repr(float(row[2]) + (float(row[3]) - float(row[2])) / 2
                      if b.rng.random() < 0.5 else float(row[2]) - 60)
    return [Landed(b.path(GYM_DIR, "csv"), lines_bytes([HEADERS[GYM_DIR], ",".join(row)]), 1,
                   phase="b")]


KINDS: dict[str, Make] = {
    "truncated": truncated,
    "binary_garbage": binary_garbage,
    "invalid_utf8": invalid_utf8,
    "byte_order_marks": byte_order_marks,
    "huge_lines": huge_lines,
    "empty_files": empty_files,
    "extra_columns": extra_columns,
    "missing_columns": missing_columns,
    "wrong_types": wrong_types,
    "null_keys": null_keys,
    "far_times": far_times,
    "not_finite": not_finite,
    "run_together": run_together,
    "bad_values": bad_values,
    "line_endings": line_endings,
    "duplicate_fields": duplicate_fields,
    "renamed": renamed,
    "rewritten": rewritten,
    "conflicting_duplicates": conflicting_duplicates,
}


def case_seed(seed: int, round_no: int, index: int) -> int:
    return (seed * 1_000_003 + round_no) * 100_003 + index


def make_cases(seed: int, round_no: int, count: int, material: Material) -> list[Case]:
    """``count`` cases for one round, every kind in turn, each from its own seeded draw."""
    kinds = list(KINDS)
    out = []
    for i in range(count):
        kind = kinds[(i + round_no) % len(kinds)]
        case_id = f"r{round_no:02d}c{i:04d}"
        builder = Builder(random.Random(case_seed(seed, round_no, i)), material, case_id)
        out.append(Case(case_id, kind, KINDS[kind](builder)))
    return out
