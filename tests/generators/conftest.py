"""Generator-only fixtures: tiny specs and the hand-worked scenario."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from data_generators import Address, GeneratorSpec, Profile, Scenario, User, Visit

DAY0 = datetime(2023, 3, 6, tzinfo=timezone.utc)
T0 = int(DAY0.timestamp())  # 2023-03-06 00:00:00 UTC = 1678060800


def at(hh: int, mm: int, ss: float = 0.0) -> float:
    """Epoch seconds of 2023-03-06 hh:mm:ss UTC."""
    return T0 + hh * 3600 + mm * 60 + ss


@pytest.fixture
def tiny_spec() -> GeneratorSpec:
    """Two sets of one user with two visits each: ~15k readings a set."""
    return GeneratorSpec(seed=7, sets=2, users_per_set=1, visits_per_user=2)


@pytest.fixture
def hand_spec() -> GeneratorSpec:
    """One set of one day (2023-03-06) for the hand-worked scenario."""
    return GeneratorSpec(seed=1, sets=1, users_per_set=1, visits_per_user=1, start=DAY0)


@pytest.fixture
def hand_scenario() -> Scenario:
    """Two users, one session each; every number in the test is worked out by hand.

    A: on 07:55:00-09:25:00 (5400 readings), gym 08:00:00-09:20:00, workout
       08:05:00-09:10:00, heart rates cycling 100, 110, 120.
    B: on 10:50:00-12:40:00 (6600 readings), gym 11:00:00-12:30:30, workout
       11:10:00.5-12:20:30.5, heart rates cycling 80, 0 (invalid), 100, 120;
       turns 18 on the day; a later update moves B to Shelbyville, IN.
    """
    a = User(1, 101, "aa:aa:aa:aa:aa:01", at(7, 0))
    b = User(2, 202, "bb:bb:bb:bb:bb:02", at(10, 0))
    a_new = Profile(1, "new", at(7, 0, 10), date(1990, 5, 20), "F", "F", "Ann", "Lee",
                    Address("1 Main St", "Springfield", "IL", 62701))
    b_new = Profile(2, "new", at(10, 0, 5), date(2005, 3, 6), "M", "M", "Bob", "Roe",
                    Address("2 Elm St", "Capital City", "OH", 43004))
    b_upd = Profile(2, "update", at(15, 0), date(2005, 3, 6), "M", "M", "Bob", "Doe",
                    Address("3 Oak St", "Shelbyville", "IN", 46176))
    va = Visit(1, 101, a.mac_address, gym=1, login=at(8, 0), logout=at(9, 20), workout_id=7,
               session_id=1, start=at(8, 5), stop=at(9, 10), device_on=int(at(7, 55)),
               device_off=int(at(9, 25)), bpm_cycle=(100.0, 110.0, 120.0))
    vb = Visit(2, 202, b.mac_address, gym=2, login=at(11, 0), logout=at(12, 30, 30),
               workout_id=3, session_id=1, start=at(11, 10, 0.5), stop=at(12, 20, 30.5),
               device_on=int(at(10, 50)), device_off=int(at(12, 40)),
               bpm_cycle=(80.0, 0.0, 100.0, 120.0))
    return Scenario(users=(a, b), profiles=(a_new, b_new, b_upd), visits=(va, vb))
