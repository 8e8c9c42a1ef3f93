"""Text formats of docs/domain.md's landing zone: CSV with header and Kafka-style JSON lines.

Numbers are written the way real exports write them: an integral epoch
second is sometimes ``1678451168`` and sometimes ``1678451168.0``.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

import numpy as np

from data_generators.model import Profile, User, Visit

REGISTERED_USERS_HEADER = "user_id,device_id,mac_address,registration_timestamp"
GYM_LOGINS_HEADER = "mac_address,gym,login,logout"
KAFKA_PARTITIONS = 2
_COMPACT = (",", ":")
_TENTHS_LOW = -100
_TENTHS_HIGH = 3000


def fmt_epoch(x: float) -> str:
    """Epoch seconds as text; integral values alternate between ``123`` and ``123.0``."""
    if float(x).is_integer() and int(x) % 3 == 0:
        return str(int(x))
    return repr(float(x))


def iso(epoch: float) -> str:
    """ISO-8601 UTC with microseconds, e.g. ``2023-03-10T08:05:00.000000``."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


def dob_text(d: date) -> str:
    return d.strftime("%m/%d/%Y")


def user_info_value(p: Profile) -> str:
    # Built by hand so that the timestamp keeps the 123 / 123.0 variation.
    address = json.dumps(
        {"street_address": p.address.street_address, "city": p.address.city,
         "state": p.address.state, "zip": p.address.zip},
        separators=_COMPACT,
    )
    head = json.dumps({"user_id": p.user_id, "update_type": p.update_type}, separators=_COMPACT)
    tail = json.dumps(
        {"dob": dob_text(p.dob), "sex": p.sex, "gender": p.gender, "first_name": p.first_name,
         "last_name": p.last_name},
        separators=_COMPACT,
    )
    return f'{head[:-1]},"timestamp":{fmt_epoch(p.timestamp)},{tail[1:-1]},"address":{address}}}'


def workout_value(v: Visit, action: str) -> str:
    t = v.start if action == "start" else v.stop
    return (
        f'{{"user_id":{v.user_id},"workout_id":{v.workout_id},"timestamp":{fmt_epoch(t)},'
        f'"action":"{action}","session_id":{v.session_id}}}'
    )


def kafka_line(key: str, value: str, topic: str, partition: int, offset: int, ts: int) -> str:
    """One multiplexed record: key, value (a JSON document as a string), topic, ..., timestamp."""
    return (
        f'{{"key":{json.dumps(key)},"value":{json.dumps(value)},"topic":"{topic}",'
        f'"partition":{partition},"offset":{offset},"timestamp":{ts}}}'
    )


@lru_cache(maxsize=1)
def _hms() -> list[str]:
    return [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)]


@lru_cache(maxsize=1)
def _tenths_text() -> list[str]:
    return [f"{v / 10:.1f}" for v in range(_TENTHS_LOW, _TENTHS_HIGH)]


_EPOCH_DAY = date(1970, 1, 1)


@lru_cache(maxsize=4096)
def _day_text(day: int) -> str:
    return (_EPOCH_DAY + timedelta(days=day)).isoformat()


def bpm_time_text(t: int) -> str:
    """A BPM ``time``: ``YYYY-MM-DD HH:MM:SS`` in UTC."""
    return f"{_day_text(t // 86_400)} {_hms()[t % 86_400]}"


def bpm_lines(
    device: np.ndarray, time: np.ndarray, tenths: np.ndarray,
    partition: np.ndarray, offset: np.ndarray, ts: np.ndarray,
) -> list[str]:
    """Kafka lines of BPM readings, vectorised where it pays (same text as ``kafka_line``)."""
    if tenths.size and (tenths.min() < _TENTHS_LOW or tenths.max() >= _TENTHS_HIGH):
        raise ValueError("heart rate outside the formatter's table")
    hms = _hms()
    hr = _tenths_text()
    day_txt = {int(d): _day_text(int(d)) for d in np.unique(time // 86_400)}
    return [
        f'{{"key":"{d}","value":"{{\\"device_id\\":{d},\\"time\\":\\"{day_txt[t // 86_400]} '
        f'{hms[t % 86_400]}\\",\\"heartrate\\":{hr[h - _TENTHS_LOW]}}}","topic":"bpm",'
        f'"partition":{p},"offset":{o},"timestamp":{s}}}'
        for d, t, h, p, o, s in zip(
            device.tolist(), time.tolist(), tenths.tolist(), partition.tolist(),
            offset.tolist(), ts.tolist(), strict=True,
        )
    ]


def registered_user_row(u: User) -> str:
    return f"{u.user_id},{u.device_id},{u.mac_address},{fmt_epoch(u.registration_timestamp)}"


def gym_login_row(mac: str, gym: int, login: float, logout: float | None) -> str:
    out = "" if logout is None else fmt_epoch(logout)
    return f"{mac},{gym},{fmt_epoch(login)},{out}"


def date_lookup_rows(years: list[int]) -> list[str]:
    """One JSON line per day of each year: dayofweek 1 = Sunday, week = ISO week."""
    rows = []
    for year in years:
        d = date(year, 1, 1)
        while d.year == year:
            week = d.isocalendar()[1]
            rows.append(json.dumps({
                "date": d.isoformat(), "week": week, "year": year, "month": d.month,
                "dayofweek": d.isoweekday() % 7 + 1, "dayofmonth": d.day,
                "dayofyear": d.timetuple().tm_yday, "week_part": f"{year}-{week:02d}",
            }, separators=_COMPACT))
            d += timedelta(days=1)
    return rows
