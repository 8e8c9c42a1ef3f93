"""Plans and privileges, worked by hand: what a plan creates, grants and revokes, that
applying it leaves nothing to do, and Unity Catalog's inheritance for "who may read"."""

from __future__ import annotations

from pathlib import Path

from release.unity import plan
from release.unity.spec import load
from release.unity.state import Location, State, desired
from tests.unity.test_spec import GOOD


def test_from_empty_everything_is_created_and_granted(tmp_path: Path) -> None:
    (tmp_path / "uc.yml").write_text(GOOD)
    s = load(tmp_path / "uc.yml")
    changes = plan.diff(desired(s), State(), s.groups)
    assert [c.describe() for c in changes] == [
        "+ create external location dev_tables at "
        "abfss://lakehouse@acct.dfs.core.windows.net/dev (credential dev_cred)",
        "+ create catalog dev",
        "+ create schema dev.fitness",
        "+ grant SELECT, USE_CATALOG, USE_SCHEMA on catalog dev to data_engineers",
        "+ grant CREATE_EXTERNAL_TABLE, READ_FILES on external location dev_tables to "
        "data_engineers",
        "+ grant SELECT, USE_SCHEMA on schema dev.fitness to data_analysts",
    ]
    after = plan.apply_to(State(), changes)
    assert plan.diff(desired(s), after, s.groups) == []
    assert plan.render([], "x") == "no changes: x matches the file"


def test_extra_privileges_of_managed_groups_are_revoked_others_are_left(tmp_path: Path) -> None:
    (tmp_path / "uc.yml").write_text(GOOD)
    s = load(tmp_path / "uc.yml")
    have = plan.apply_to(State(), plan.diff(desired(s), State(), s.groups))
    have.grants[("catalog", "dev")]["data_engineers"] |= {"MODIFY"}
    have.grants[("catalog", "dev")]["someone@corp.com"] = frozenset({"ALL_PRIVILEGES"})
    have.locations["dev_tables"] = Location("abfss://old@acct.dfs.core.windows.net/dev",
                                            "dev_cred")
    changes = plan.diff(desired(s), have, s.groups)
    assert [c.describe() for c in changes] == [
        "~ update external location dev_tables: url "
        "abfss://old@acct.dfs.core.windows.net/dev -> abfss://lakehouse@acct.dfs.core.windows.net/dev",
        "- revoke MODIFY on catalog dev from data_engineers",
    ]
    after = plan.apply_to(have, changes)
    assert after.grants[("catalog", "dev")]["someone@corp.com"] == {"ALL_PRIVILEGES"}
    assert plan.diff(desired(s), after, s.groups) == []


def test_who_may_read_follows_unity_catalog_inheritance() -> None:
    state = State(catalogs={"dev"}, schemas={"dev.fitness"})
    state.grants[("catalog", "dev")] = {"eng": frozenset({"USE_CATALOG", "USE_SCHEMA", "SELECT"}),
                                        "ana": frozenset({"USE_CATALOG"}),
                                        "ops": frozenset({"SELECT"}),
                                        "adm": frozenset({"ALL_PRIVILEGES"})}
    state.grants[("schema", "dev.fitness")] = {"ana": frozenset({"USE_SCHEMA", "SELECT"}),
                                               "ops": frozenset({"USE_SCHEMA"})}
    assert state.may_read("eng", "dev.fitness")      # all three inherited from the catalog
    assert state.may_read("ana", "dev.fitness")      # USE CATALOG + schema-level grants
    assert not state.may_read("ops", "dev.fitness")  # no USE CATALOG
    assert state.may_read("adm", "dev.fitness")      # ALL PRIVILEGES holds them all
    assert not state.may_read("nobody", "dev.fitness")
    assert state.privileges("ana", ("schema", "dev.fitness")) == {
        "USE_CATALOG", "USE_SCHEMA", "SELECT"}


def test_state_round_trips_through_json() -> None:
    state = State({"dev"}, {"dev.fitness"}, {"t": Location("file:/x", "c")},
                  {("catalog", "dev"): {"eng": frozenset({"SELECT"})}})
    assert State.from_json(state.to_json()) == state
