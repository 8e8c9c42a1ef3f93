from __future__ import annotations

from collections import Counter

from data_generators import GeneratorSpec
from data_generators.timeline import build_timeline


def test_world_is_coherent() -> None:
    spec = GeneratorSpec(seed=11, sets=3, users_per_set=5, visits_per_user=8)
    tl = build_timeline(spec)
    assert len(tl.users) == 15
    devices = {u.user_id: (u.device_id, u.mac_address) for u in tl.users}
    for v in tl.visits:
        assert devices[v.user_id] == (v.device_id, v.mac_address)
        assert v.device_on <= v.login <= v.start < v.stop <= v.logout <= v.device_off
        assert v.stop - v.start <= 3 * 3600
    per_user = Counter(v.user_id for v in tl.visits)
    assert set(per_user.values()) == {8}
    first_event = {p.user_id: p.timestamp for p in tl.profiles if p.update_type == "new"}
    for u in tl.users:
        assert u.registration_timestamp < first_event[u.user_id]
        assert u.registration_timestamp < min(v.device_on for v in tl.visits
                                              if v.user_id == u.user_id)


def test_updates_change_names_or_addresses() -> None:
    tl = build_timeline(GeneratorSpec(seed=11, sets=3))
    updates = [p for p in tl.profiles if p.update_type == "update"]
    assert updates
    new = {p.user_id: p for p in tl.profiles if p.update_type == "new"}
    for p in updates:
        old = new[p.user_id]
        assert (p.last_name, p.address) != (old.last_name, old.address)
        assert (p.dob, p.first_name) == (old.dob, old.first_name)
        assert p.timestamp > old.timestamp


def test_one_session_crosses_each_set_boundary() -> None:
    spec = GeneratorSpec(seed=11, sets=3, users_per_set=2, visits_per_user=3)
    tl = build_timeline(spec)
    for n in (1, 2):
        end = spec.window(n)[1]
        assert [v for v in tl.visits if v.start < end <= v.stop]
    last_end = spec.window(3)[1]
    assert not [v for v in tl.visits if v.stop >= last_end]


def test_incremental_build_is_the_same() -> None:
    spec = GeneratorSpec(seed=11, sets=3)
    assert build_timeline(spec, 2).visits == build_timeline(spec).visits[: len(
        build_timeline(spec, 2).visits)]
