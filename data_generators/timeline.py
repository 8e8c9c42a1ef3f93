"""Build a coherent random ``Timeline`` from a ``GeneratorSpec``.

Set n brings ``spec.users_in_set`` new users; each registers on the set's
first day and visits a gym once a day for ``visits_per_user`` days (one
workout per visit). Earlier users may update their profile (new name or
address). When a later set follows, one visit of set n starts just before
the set ends and its workout stops (and the user logs out) in set n+1.
Only sparse entities are built here; the dense BPM signal is in ``bpm``.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone

from faker import Faker

from data_generators.model import Address, Profile, Timeline, User, Visit
from data_generators.seeds import derive_seed, rng
from data_generators.spec import GeneratorSpec

HOUR = 3600
MINUTE = 60
SPLIT_LOGOUT_RATE = 0.25
UPDATE_EARLIER_RATE = 0.4
UPDATE_NEW_RATE = 0.25


def _faker(seed: int, *parts: object) -> Faker:
    fake = Faker("en_US")
    fake.seed_instance(derive_seed(seed, *parts))
    return fake


def _eighths(gen, x: float, rate: float = 0.3) -> float:  # type: ignore[no-untyped-def]
    """Sometimes add a sub-second fraction (k/8 s: exact in binary and in microseconds)."""
    if gen.random() < rate:
        return x + int(gen.integers(1, 8)) / 8
    return x


def _address(fake: Faker) -> Address:
    return Address(
        street_address=fake.street_address(),
        city=fake.city(),
        state=fake.state_abbr(include_territories=False),
        zip=int(fake.zipcode()),
    )


def build_timeline(spec: GeneratorSpec, upto: int | None = None) -> Timeline:
    """The timeline of sets 1..upto (default: every set of the spec)."""
    return TimelineBuilder(spec).build(spec.sets if upto is None else upto)


class TimelineBuilder:
    """Builds sets one after another, keeping state (latest profiles, used MACs)."""

    def __init__(self, spec: GeneratorSpec) -> None:
        self.spec = spec
        self.users: list[User] = []
        self.profiles: list[Profile] = []
        self.visits: list[Visit] = []
        self.latest: dict[int, Profile] = {}
        self.macs: set[str] = set()
        self.built = 0

    def build(self, upto: int) -> Timeline:
        """The timeline of sets 1..upto."""
        while self.built < upto:
            self.built += 1
            self._add_set(self.built)
        return Timeline(users=tuple(self.users), profiles=tuple(self.profiles),
                        visits=tuple(self.visits))

    def _add_set(self, n: int) -> None:
        spec = self.spec
        users, profiles, visits = self.users, self.profiles, self.visits
        latest, macs = self.latest, self.macs
        per_set = spec.users_in_set
        gyms = max(2, -(-per_set // 3))
        start_day = spec.start.astimezone(timezone.utc).date()
        ws, we = spec.window(n)
        g_reg = rng(spec.seed, "registered_users", "registration_timestamp", n)
        g_dob = rng(spec.seed, "user_info", "dob", n)
        g_sex = rng(spec.seed, "user_info", "sex", n)
        g_gym = rng(spec.seed, "gym_logins", "gym", n)
        g_visit = rng(spec.seed, "gym_logins", "login", n)
        g_work = rng(spec.seed, "workout", "workout_id", n)
        g_upd = rng(spec.seed, "user_info", "update", n)
        fake_mac = _faker(spec.seed, "registered_users", "mac_address", n)
        fake_person = _faker(spec.seed, "user_info", "profile", n)
        new_users: list[User] = []
        for i in range(per_set):
            g = (n - 1) * per_set + i
            mac = fake_mac.mac_address()
            while mac in macs:
                mac = fake_mac.mac_address()
            macs.add(mac)
            reg = _eighths(g_reg, float(ws + int(g_reg.integers(0, 4 * HOUR))))
            user = User(user_id=10_001 + g, device_id=5_000_001 + 7 * g, mac_address=mac,
                        registration_timestamp=reg)
            new_users.append(user)
            sex = "M" if g_sex.random() < 0.5 else "F"
            first = fake_person.first_name_male() if sex == "M" else fake_person.first_name_female()
            age_days = int(g_dob.integers(14 * 365, 80 * 365))
            profile = Profile(
                user_id=user.user_id, update_type="new",
                timestamp=reg + float(g_reg.integers(1, 120)),
                dob=start_day - timedelta(days=age_days), sex=sex, gender=sex,
                first_name=first, last_name=fake_person.last_name(),
                address=_address(fake_person),
            )
            profiles.append(profile)
            latest[user.user_id] = profile
            home_gym = int(g_gym.integers(1, gyms + 1))
            workout_pref = int(g_work.integers(1, 13))
            for d in range(spec.visits_per_user):
                day0 = ws + d * 86_400
                boundary = n < spec.sets and i == 0 and d == spec.visits_per_user - 1
                if boundary:
                    # Starts before set n ends, stops in set n+1: join state across runs.
                    login = float(we - 40 * MINUTE)
                    start = login + 10 * MINUTE
                    stop = _eighths(g_visit, float(we + 25 * MINUTE), rate=1.0)
                    logout = float(we + 35 * MINUTE)
                else:
                    gv = g_visit
                    login = _eighths(gv, float(day0 + int(gv.integers(6 * HOUR, 20 * HOUR))))
                    duration = int(gv.integers(50 * MINUTE, 110 * MINUTE))
                    start = _eighths(gv, float(int(login) + int(gv.integers(3, 12)) * MINUTE))
                    logout = _eighths(gv, float(int(login) + duration))
                    stop = _eighths(gv, float(int(logout) - int(gv.integers(3, 10)) * MINUTE))
                on = int(login) - int(g_visit.integers(10 * MINUTE, 40 * MINUTE))
                off = int(logout) + 1 + int(g_visit.integers(10 * MINUTE, 40 * MINUTE))
                gym = home_gym if g_gym.random() < 0.85 else int(g_gym.integers(1, gyms + 1))
                workout_id = workout_pref if g_work.random() < 0.6 else int(g_work.integers(1, 13))
                visits.append(Visit(
                    user_id=user.user_id, device_id=user.device_id, mac_address=mac, gym=gym,
                    login=login, logout=logout, workout_id=workout_id, session_id=d + 1,
                    start=start, stop=stop, device_on=on, device_off=off,
                    split_logout=(not boundary) and g_visit.random() < SPLIT_LOGOUT_RATE,
                ))
        # Profile updates: earlier users now and then, new users sometimes later in the set.
        earlier = [u for u in users]
        chosen = [u for u in earlier if g_upd.random() < UPDATE_EARLIER_RATE]
        if earlier and not chosen:
            chosen = [earlier[int(g_upd.integers(0, len(earlier)))]]
        updates: list[tuple[float, int]] = [
            (_eighths(g_upd, float(ws + int(g_upd.integers(HOUR, spec.set_seconds - HOUR)))),
             u.user_id)
            for u in chosen
        ]
        for u in new_users:
            if g_upd.random() < UPDATE_NEW_RATE and spec.set_seconds > 2 * 86_400:
                later = int(g_upd.integers(86_400, spec.set_seconds - 6 * HOUR))
                t = u.registration_timestamp + float(later)
                updates.append((_eighths(g_upd, t), u.user_id))
        for t, user_id in sorted(updates):
            old = latest[user_id]
            what = g_upd.random()
            new = dataclasses.replace(old, update_type="update", timestamp=t)
            if what < 0.4 or what >= 0.7:
                new = dataclasses.replace(new, last_name=fake_person.last_name())
            if what >= 0.4:
                new = dataclasses.replace(new, address=_address(fake_person))
            profiles.append(new)
            latest[user_id] = new
        users.extend(new_users)


def date_at(epoch: float) -> date:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).date()
