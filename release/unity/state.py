"""What a metastore holds, as far as the Unity Catalog file manages it.

One shape for every backend: the local catalog emulation stores it as JSON,
the workspace backend reads it through the REST API, a spec gives the desired
one. ``State.privileges`` answers "what may this principal do here", with Unity
Catalog's inheritance (a privilege granted on a catalog applies to its schemas
and their tables; ``ALL_PRIVILEGES`` holds them all).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from release.unity.spec import ExternalLocation, UnitySpec

# (securable type as the permissions API spells it, full name): ("schema", "dev.fitness")
Securable = tuple[str, str]


@dataclass(frozen=True)
class Location:
    url: str
    credential: str


@dataclass
class State:
    catalogs: set[str] = field(default_factory=set)
    schemas: set[str] = field(default_factory=set)  # "catalog.schema"
    locations: dict[str, Location] = field(default_factory=dict)
    grants: dict[Securable, dict[str, frozenset[str]]] = field(default_factory=dict)

    def privileges(self, principal: str, securable: Securable) -> frozenset[str]:
        """Privileges ``principal`` holds on ``securable``, inherited ones included."""
        kind, name = securable
        held = set(self.grants.get(securable, {}).get(principal, frozenset()))
        if kind == "schema":
            held |= self.grants.get(("catalog", name.split(".")[0]), {}).get(principal, set())
        return frozenset(held)

    def may_read(self, principal: str, schema: str) -> bool:
        """May ``principal`` SELECT from the tables of ``catalog.schema``?

        Unity Catalog needs all three: USE CATALOG on the catalog, USE SCHEMA and
        SELECT on the schema (each possibly inherited from the catalog).
        """
        catalog = schema.split(".")[0]
        on_catalog = self.privileges(principal, ("catalog", catalog))
        on_schema = self.privileges(principal, ("schema", schema))

        def has(held: frozenset[str], privilege: str) -> bool:
            return privilege in held or "ALL_PRIVILEGES" in held

        return (has(on_catalog, "USE_CATALOG") and has(on_schema, "USE_SCHEMA")
                and has(on_schema, "SELECT"))

    def to_json(self) -> dict[str, Any]:
        return {
            "catalogs": sorted(self.catalogs),
            "schemas": sorted(self.schemas),
            "external_locations": {n: {"url": loc.url, "credential": loc.credential}
                                   for n, loc in sorted(self.locations.items())},
            "grants": [{"securable_type": kind, "full_name": name, "principal": p,
                        "privileges": sorted(privs)}
                       for (kind, name), by in sorted(self.grants.items())
                       for p, privs in sorted(by.items()) if privs],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> State:
        state = cls(set(data.get("catalogs", [])), set(data.get("schemas", [])),
                    {n: Location(v["url"], v["credential"])
                     for n, v in data.get("external_locations", {}).items()})
        for g in data.get("grants", []):
            state.grants.setdefault((g["securable_type"], g["full_name"]), {})[
                g["principal"]] = frozenset(g["privileges"])
        return state


def desired(spec: UnitySpec, resolve: Callable[[ExternalLocation], str] | None = None) -> State:
    """The state the file declares; ``resolve`` turns a location into the URL used here."""
    state = State()
    for c in spec.catalogs:
        state.catalogs.add(c.name)
        state.grants[("catalog", c.name)] = {g.principal: g.privileges for g in c.grants}
        for s in c.schemas:
            full = f"{c.name}.{s.name}"
            state.schemas.add(full)
            state.grants[("schema", full)] = {g.principal: g.privileges for g in s.grants}
    for loc in spec.external_locations:
        url = resolve(loc) if resolve is not None else loc.url
        state.locations[loc.name] = Location(url, loc.credential)
        state.grants[("external_location", loc.name)] = {
            g.principal: g.privileges for g in loc.grants}
    return state
