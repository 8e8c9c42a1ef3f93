"""`lakehouse catalog plan|apply`: the Unity Catalog file, applied locally or to a workspace.

Locally the current state is the metastore file of the storage target
(``app.platform.metastore``); each external location resolves to the URL the
adapter gives its kind on that target, with the declared URL's path kept, so
``dev_tables`` is ``<tables>/dev`` on Azurite or in local folders. Applying
writes the new state; schemas become Spark databases when the pipeline's setup
creates them (the emulation's catalog lives in storage, see
``app/platform/catalog.py``). With ``--workspace`` the same plan is computed
and applied through databricks-sdk (``release.unity.workspace``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from app.platform import metastore
from app.platform.config import ENVIRONMENTS, LakehouseConfig
from app.platform.errors import ConfigError, LakehouseError
from app.platform.storage import storage_target
from release.unity import plan, spec
from release.unity.spec import ExternalLocation, UnitySpec
from release.unity.state import State, desired


def load(path: Path | None = None) -> UnitySpec:
    """The file, validated; its errors become ConfigError (one line: file, line, entry, field)."""
    try:
        return spec.load(path, catalog_names=ENVIRONMENTS)
    except spec.SpecError as exc:
        raise ConfigError(str(exc)) from None


def resolver(config: LakehouseConfig) -> Callable[[ExternalLocation], str]:
    """Location -> its URL on this storage target: the adapter's URL for its kind + its path."""
    target = storage_target(config)

    def resolve(loc: ExternalLocation) -> str:
        base = target.url(loc.adapter_location)
        return f"{base}/{loc.path}" if loc.path else base

    return resolve


def current(config: LakehouseConfig) -> State:
    stored = metastore.read_state(config)
    return State.from_json(stored) if stored is not None else State()


def plan_local(
    config: LakehouseConfig, unity: UnitySpec, now: State | None = None
) -> list[plan.Change]:
    """The changes from ``now`` (default: the stored state) to what the file declares."""
    now = current(config) if now is None else now
    return plan.diff(desired(unity, resolver(config)), now, unity.groups)


def apply_local(config: LakehouseConfig, unity: UnitySpec) -> list[plan.Change]:
    """Apply the plan to the local metastore file; returns the changes (none the second time)."""
    now = current(config)  # read once: the plan and the new state start from the same one
    changes = plan_local(config, unity, now)
    if changes:
        state = plan.apply_to(now, changes).to_json()
        target = storage_target(config)
        state["governed_roots"] = sorted({target.url(loc.adapter_location)
                                          for loc in unity.external_locations})
        state["applied"] = {"file": str(unity.path),
                            "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        metastore.write_state(config, state)
    return changes


def run(config: LakehouseConfig, action: str, path: Path | None, workspace: bool) -> int:
    """The command: print the plan; with ``apply``, apply it and say what was done."""
    unity = load(path)
    if workspace:
        return _run_workspace(unity, action)
    target = f"the local catalog ({config.storage}, {metastore.state_path(config)})"
    if action == "plan":
        print(plan.render(plan_local(config, unity), target))
        return 0
    changes = apply_local(config, unity)
    print(plan.render(changes, target))
    if changes:
        print(f"applied {len(changes)} changes")
    return 0


def _run_workspace(unity: UnitySpec, action: str) -> int:
    from release.unity import workspace

    try:
        w = workspace.client()
        missing = workspace.missing_credentials(w, unity)
        changes = plan.diff(desired(unity), workspace.read_state(w, unity), unity.groups)
        print(plan.render(changes, f"the workspace {w.config.host}"))
        if missing:
            raise LakehouseError(
                f"storage credentials missing on the workspace: {', '.join(missing)}. Create "
                "them (each wraps an Azure access connector) before applying.")
        if action == "apply" and changes:
            workspace.apply(w, changes, unity)
            print(f"applied {len(changes)} changes")
    except workspace.WorkspaceError as exc:
        raise LakehouseError(str(exc)) from None
    except Exception as exc:
        from databricks.sdk.errors import DatabricksError

        if isinstance(exc, DatabricksError):  # its message never holds the token
            raise LakehouseError(f"the workspace refused: {type(exc).__name__}: {exc} "
                                 "(run `lakehouse catalog plan --workspace` to see what is "
                                 "left)") from None
        raise
    return 0


def status_lines(config: LakehouseConfig) -> list[str]:
    """What `lakehouse status` shows of the applied Unity Catalog state."""
    stored = metastore.read_state(config)
    if stored is None:
        return [f"unity catalog: nothing applied for storage '{config.storage}' "
                "(`lakehouse catalog apply`)"]
    state = State.from_json(stored)
    applied = stored.get("applied", {})
    lines = [f"unity catalog (applied {applied.get('at', '?')} from "
             f"{applied.get('file', '?')}; {metastore.state_path(config)}):"]
    for c in sorted(state.catalogs):
        schemas = sorted(s.split(".", 1)[1] for s in state.schemas if s.startswith(c + "."))
        lines.append(f"  catalog {c}: schemas {', '.join(schemas) or '(none)'}")
    lines.append("  external locations:")
    width = max((len(n) for n in state.locations), default=0)
    for name, loc in sorted(state.locations.items()):
        lines.append(f"    {name:<{width}}  {loc.url}  (credential {loc.credential})")
    lines.append("  grants:")
    for (kind, name), by in sorted(state.grants.items()):
        held = [f"{p} {', '.join(sorted(privs))}" for p, privs in sorted(by.items()) if privs]
        if held:
            lines.append(f"    {kind.replace('_', ' ')} {name}: {'; '.join(held)}")
    readers = {p for by in state.grants.values() for p in by}
    for schema in sorted(state.schemas):
        who = sorted(p for p in readers if state.may_read(p, schema))
        lines.append(f"  may read {schema}: {', '.join(who) or 'nobody'}")
    return lines
