"""The generated world: users, profile (CDC) events and gym visits with one workout each.

A ``Timeline`` is everything the generator knows; the writers land it and the
ground truth is computed from it. Times are epoch seconds (UTC) as floats;
BPM readings are whole seconds in ``[device_on, device_off)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Address:
    street_address: str
    city: str
    state: str
    zip: int


@dataclass(frozen=True)
class Profile:
    """One ``user_info`` event: the whole profile as of ``timestamp``."""

    user_id: int
    update_type: str  # "new" or "update"
    timestamp: float
    dob: date
    sex: str
    gender: str
    first_name: str
    last_name: str
    address: Address


@dataclass(frozen=True)
class User:
    user_id: int
    device_id: int
    mac_address: str
    registration_timestamp: float


@dataclass(frozen=True)
class Visit:
    """A gym visit with one workout session; the device is on around it.

    Attributes:
        split_logout: the login first lands with an empty logout, the logout
            in a later gym file.
        bpm_cycle: fixed heart rates repeated reading after reading (for
            hand-worked scenarios); None for the random signal.
    """

    user_id: int
    device_id: int
    mac_address: str
    gym: int
    login: float
    logout: float
    workout_id: int
    session_id: int
    start: float
    stop: float
    device_on: int
    device_off: int
    split_logout: bool = False
    bpm_cycle: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if not (self.login <= self.start < self.stop <= self.logout):
            raise ValueError(f"visit of user {self.user_id}: workout must lie inside the visit")
        if not (self.device_on <= self.login and self.logout <= self.device_off):
            raise ValueError(f"visit of user {self.user_id}: device must be on during the visit")


@dataclass(frozen=True)
class Timeline:
    """Everything generated for sets 1..n (a hand-made one is a scenario)."""

    users: tuple[User, ...]
    profiles: tuple[Profile, ...]
    visits: tuple[Visit, ...]

    def __post_init__(self) -> None:
        ids = [u.user_id for u in self.users]
        if len(set(ids)) != len(ids):
            raise ValueError("user_id must be unique")
        if len({u.device_id for u in self.users}) != len(ids):
            raise ValueError("one user has one device: device_id must be unique")
        if len({u.mac_address for u in self.users}) != len(ids):
            raise ValueError("one user has one MAC address: mac_address must be unique")
        by_user: dict[int, list[Visit]] = {}
        for v in self.visits:
            by_user.setdefault(v.user_id, []).append(v)
        for user_id, visits in by_user.items():
            visits.sort(key=lambda v: v.device_on)
            for a, b in zip(visits, visits[1:], strict=False):
                if b.device_on < a.device_off:
                    raise ValueError(f"user {user_id}: device on-periods overlap")


Scenario = Timeline
"""A hand-made timeline (e.g. 2 users, 1 session each) for hand-worked tests."""
