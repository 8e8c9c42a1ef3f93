"""A hand-worked landing set in docs/domain.md's formats, with the values worked out by hand.

User 1 (device 11, MAC aa:01, born 1990-01-15) visits gym 7 on 2023-03-10 from
08:00:00 to 09:30:00 (90.0 minutes) and works out from 08:05:00 to 09:10:00
(65.0 minutes, the FLOAT trap). Readings at 08:05:00 (the start: excluded),
08:05:01 (100), 08:30:00 (120), 08:40:00 (0: invalid, excluded), 09:10:00
(140: the stop, included) and 09:10:01 (excluded). So workout_bpm holds 3
rows: min 100, avg 120, max 140. Age on 2023-03-10: 33 -> "25-35".
The workout stop record's Kafka timestamp is in seconds, the rest in ms.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from app.platform.storage import ObjectStore


def epoch(hms: str, day: str = "2023-03-10") -> int:
    return int(datetime.fromisoformat(f"{day}T{hms}+00:00").timestamp())


def _kafka(key: str, value: dict, topic: str, offset: int, ts: int) -> str:
    return json.dumps(
        {"key": key, "value": json.dumps(value), "topic": topic, "partition": 0,
         "offset": offset, "timestamp": ts}
    )


def date_lookup_lines(year: int = 2023) -> str:
    rows, d = [], date(year, 1, 1)
    while d.year == year:
        week = d.isocalendar()[1]
        rows.append(json.dumps({
            "date": d.isoformat(), "week": str(week), "year": str(year), "month": d.month,
            "dayofweek": str(d.isoweekday() % 7 + 1), "dayofmonth": d.day,
            "dayofyear": d.timetuple().tm_yday, "week_part": f"{year}-{week:02d}",
        }))
        d += timedelta(days=1)
    return "\n".join(rows) + "\n"


def kafka_lines() -> list[str]:
    start, stop = epoch("08:05:00"), epoch("09:10:00")
    lines = [
        _kafka("1", {"user_id": 1, "update_type": "new", "timestamp": float(epoch("07:00:00")),
                     "dob": "01/15/1990", "sex": "F", "gender": "F", "first_name": "Ann",
                     "last_name": "Lee", "address": {"street_address": "1 Main St",
                     "city": "Springfield", "state": "IL", "zip": 62701}},
               "user_info", 1, epoch("07:00:00") * 1000),
        _kafka("1", {"user_id": 1, "workout_id": 3, "timestamp": start, "action": "start",
                     "session_id": 5}, "workout", 2, start * 1000),
    ]
    readings = [("08:05:00", 90.0), ("08:05:01", 100.0), ("08:30:00", 120.0),
                ("08:40:00", 0.0), ("09:10:00", 140.0), ("09:10:01", 95.0)]
    for i, (hms, hr) in enumerate(readings):
        lines.append(_kafka("11", {"device_id": 11, "time": f"2023-03-10 {hms}",
                                   "heartrate": hr}, "bpm", 10 + i, epoch(hms) * 1000))
    lines.append(_kafka("1", {"user_id": 1, "workout_id": 3, "timestamp": float(stop),
                              "action": "stop", "session_id": 5}, "workout", 3, stop))
    return lines


def land(zone: ObjectStore, with_history: bool = True) -> None:
    """Land the set (CRLF and trailing blank lines included, as real exports do)."""
    if with_history:
        zone.put_bytes("test_data/date_lookup.json", date_lookup_lines().encode())
    zone.put_bytes(
        "raw/registered_users_bz/users-1.csv",
        (f"user_id,device_id,mac_address,registration_timestamp\r\n"
         f"1,11,aa:01,{epoch('06:00:00')}.0\r\n\r\n").encode(),
    )
    zone.put_bytes(
        "raw/gym_logins_bz/gym-1.csv",
        f"mac_address,gym,login,logout\naa:01,7,{epoch('08:00:00')},\n".encode(),
    )
    zone.put_bytes(
        "raw/gym_logins_bz/gym-2.csv",
        f"mac_address,gym,login,logout\naa:01,7,{epoch('08:00:00')},{epoch('09:30:00')}\n"
        .encode(),
    )
    zone.put_bytes("raw/kafka_multiplex_bz/kafka-1.json", ("\n".join(kafka_lines()) + "\n\n")
                   .encode())


MALFORMED = {
    # relative path -> (line, raw)
    "raw/registered_users_bz/bad-1.csv": "x2,12,aa:02,1678400000",
    "raw/kafka_multiplex_bz/bad-1.json": '{"key":"1","value":"{}","topic":"bpm","partit',
}


def land_malformed(zone: ObjectStore) -> None:
    zone.put_bytes(
        "raw/registered_users_bz/bad-1.csv",
        ("user_id,device_id,mac_address,registration_timestamp\n"
         + MALFORMED["raw/registered_users_bz/bad-1.csv"] + "\n").encode(),
    )
    zone.put_bytes(
        "raw/kafka_multiplex_bz/bad-1.json",
        (MALFORMED["raw/kafka_multiplex_bz/bad-1.json"] + "\n").encode(),
    )


UTC = timezone.utc
