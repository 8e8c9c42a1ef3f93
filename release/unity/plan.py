"""The changes from a metastore's current state to the one the file declares.

What a plan may do, and what it never does:

- create missing catalogs, schemas and external locations, and update an
  external location whose URL or credential differs;
- grant the privileges the file declares for its groups, and revoke the
  privileges those groups hold on a declared securable beyond what the file
  says. Principals the file does not declare (owners, admins, other teams)
  are left alone;
- never drop anything: an object missing from the file is not touched (dropping
  a catalog drops its tables; that stays a deliberate, manual step).

Applying a plan and planning again gives no changes: ``apply_to`` is the
reference for that, and what the local backend uses.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from release.unity.state import Location, Securable, State


@dataclass(frozen=True)
class Change:
    action: str  # create, update, grant, revoke
    securable: Securable
    principal: str = ""
    privileges: frozenset[str] = frozenset()
    location: Location | None = None
    before: Location | None = None

    def describe(self) -> str:
        kind, name = self.securable
        what = f"{kind.replace('_', ' ')} {name}"
        privs = ", ".join(sorted(self.privileges))
        if self.action == "grant":
            return f"+ grant {privs} on {what} to {self.principal}"
        if self.action == "revoke":
            return f"- revoke {privs} on {what} from {self.principal}"
        if self.action == "update" and self.location and self.before:
            parts = []
            if self.before.url != self.location.url:
                parts.append(f"url {self.before.url} -> {self.location.url}")
            if self.before.credential != self.location.credential:
                parts.append(f"credential {self.before.credential} -> "
                             f"{self.location.credential}")
            return f"~ update {what}: {'; '.join(parts)}"
        if self.location is not None:
            return (f"+ create {what} at {self.location.url} "
                    f"(credential {self.location.credential})")
        return f"+ create {what}"


def diff(want: State, have: State, principals: tuple[str, ...]) -> list[Change]:
    """Changes that bring ``have`` to ``want`` for the managed ``principals``, in apply order."""
    out: list[Change] = []
    # Locations first: a catalog's managed storage must lie in an existing one.
    for name, loc in sorted(want.locations.items()):
        old = have.locations.get(name)
        if old is None:
            out.append(Change("create", ("external_location", name), location=loc))
        elif old != loc:
            out.append(Change("update", ("external_location", name), location=loc, before=old))
    for c in sorted(want.catalogs - have.catalogs):
        out.append(Change("create", ("catalog", c)))
    for s in sorted(want.schemas - have.schemas):
        out.append(Change("create", ("schema", s)))
    for securable, wanted in sorted(want.grants.items()):
        held = have.grants.get(securable, {})
        for p in principals:
            add = wanted.get(p, frozenset()) - held.get(p, frozenset())
            remove = held.get(p, frozenset()) - wanted.get(p, frozenset())
            if add:
                out.append(Change("grant", securable, p, frozenset(add)))
            if remove:
                out.append(Change("revoke", securable, p, frozenset(remove)))
    return out


def apply_to(state: State, changes: list[Change]) -> State:
    """``state`` with ``changes`` applied (a copy; the input is left as it is)."""
    out = copy.deepcopy(state)
    for ch in changes:
        kind, name = ch.securable
        if ch.action in ("create", "update"):
            if kind == "catalog":
                out.catalogs.add(name)
            elif kind == "schema":
                out.schemas.add(name)
            elif ch.location is not None:
                out.locations[name] = ch.location
        elif ch.action in ("grant", "revoke"):
            by = out.grants.setdefault(ch.securable, {})
            held = by.get(ch.principal, frozenset())
            held = held | ch.privileges if ch.action == "grant" else held - ch.privileges
            if held:
                by[ch.principal] = held
            else:
                by.pop(ch.principal, None)
    return out


def render(changes: list[Change], target: str) -> str:
    """The plan as printed: one line per change, or a line that says nothing changes."""
    if not changes:
        return f"no changes: {target} matches the file"
    counts: dict[str, int] = {}
    for ch in changes:
        counts[ch.action] = counts.get(ch.action, 0) + 1
    summary = ", ".join(f"{n} to {a}" for a, n in counts.items())
    return "\n".join([f"plan for {target}: {summary}", *(f"  {c.describe()}" for c in changes)])
