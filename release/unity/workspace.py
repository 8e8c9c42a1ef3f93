"""The Unity Catalog file against a real workspace, through databricks-sdk only.

The client comes from ``DATABRICKS_HOST`` and ``DATABRICKS_TOKEN`` (or any
other databricks-sdk authentication); the token is never printed. Reading the
current state asks only about what the file declares: the catalogs, their
schemas, the external locations, and the grants on each of those.

Storage credentials are not created here: on Azure each one wraps an access
connector (a managed identity) made outside Databricks. The plan names a
missing one before anything is applied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from release.unity.plan import Change
from release.unity.spec import UnitySpec
from release.unity.state import Location, State

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

class WorkspaceError(RuntimeError):
    """The workspace cannot be reached, or lacks what the file relies on."""

def client() -> WorkspaceClient:
    """A WorkspaceClient from the environment; a clear error when it has no credentials."""
    import os

    if not os.environ.get("DATABRICKS_HOST"):
        raise WorkspaceError("applying to a workspace needs DATABRICKS_HOST and DATABRICKS_TOKEN "
                             "(or another databricks-sdk authentication) in the environment")
    try:
        from databricks.sdk import WorkspaceClient
    except ImportError as exc:  # pragma: no cover - a dev dependency
        raise ImportError("the workspace backend needs databricks-sdk: "
                          "`pip install databricks-sdk`") from exc
    return WorkspaceClient()

def read_state(w: WorkspaceClient, spec: UnitySpec) -> State:
    """The workspace's state, restricted to what ``spec`` declares."""
    from databricks.sdk.errors import NotFound

    state = State()
    existing = {c.name for c in w.catalogs.list() if c.name}
    for c in spec.catalogs:
        if c.name not in existing:
            continue
        state.catalogs.add(c.name)
        state.schemas |= {s.full_name for s in w.schemas.list(catalog_name=c.name)
                          if s.full_name and s.full_name.split(".", 1)[1] in
                          {d.name for d in c.schemas}}
    for loc in w.external_locations.list():
        if loc.name and loc.name in {d.name for d in spec.external_locations}:
            state.locations[loc.name] = Location(loc.url or "", loc.credential_name or "")
    securables = ([("catalog", c) for c in sorted(state.catalogs)]
                  + [("schema", s) for s in sorted(state.schemas)]
                  + [("external_location", n) for n in sorted(state.locations)])
    for kind, name in securables:
        try:
            got = w.grants.get(kind, name)
        except NotFound:
            continue
        state.grants[(kind, name)] = {
            a.principal: frozenset(p.value if hasattr(p, "value") else str(p)
                                   for p in a.privileges or [])
            for a in got.privilege_assignments or [] if a.principal}
    return state

def missing_credentials(w: WorkspaceClient, spec: UnitySpec) -> list[str]:
    """Storage credentials the file names that the workspace does not have."""
    have = {c.name for c in w.storage_credentials.list() if c.name}
    return sorted({loc.credential for loc in spec.external_locations} - have)

def apply(w: WorkspaceClient, changes: list[Change], spec: UnitySpec) -> None:
    """Run the changes in order; the first failure stops (planning again shows what is left)."""
    from databricks.sdk.service.catalog import PermissionsChange, Privilege

    comments = {("catalog", c.name): c.comment for c in spec.catalogs}
    comments |= {("schema", f"{c.name}.{s.name}"): s.comment
                 for c in spec.catalogs for s in c.schemas}
    comments |= {("external_location", loc.name): loc.comment for loc in spec.external_locations}
    urls = {loc.name: loc.url for loc in spec.external_locations}
    roots = {c.name: urls[c.managed_location] for c in spec.catalogs if c.managed_location}
    for ch in changes:
        kind, name = ch.securable
        comment = comments.get(ch.securable) or None
        if ch.action == "create" and kind == "catalog":
            w.catalogs.create(name=name, comment=comment, storage_root=roots.get(name))
        elif ch.action == "create" and kind == "schema":
            catalog, schema = name.split(".", 1)
            w.schemas.create(name=schema, catalog_name=catalog, comment=comment)
        elif ch.action == "create" and ch.location is not None:
            w.external_locations.create(name=name, url=ch.location.url,
                                        credential_name=ch.location.credential, comment=comment)
        elif ch.action == "update" and ch.location is not None:
            w.external_locations.update(name=name, url=ch.location.url,
                                        credential_name=ch.location.credential)
        elif ch.action in ("grant", "revoke"):
            privileges = [Privilege(p) for p in sorted(ch.privileges)]
            change = (PermissionsChange(principal=ch.principal, add=privileges)
                      if ch.action == "grant"
                      else PermissionsChange(principal=ch.principal, remove=privileges))
            w.grants.update(kind, name, changes=[change])
        else:  # pragma: no cover - diff makes no other change
            raise WorkspaceError(f"cannot apply {ch.describe()}")
