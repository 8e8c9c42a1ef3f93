"""The local stand-in for Unity Catalog's metastore: a JSON file per storage target.

``lakehouse catalog apply`` (``lakehouse_local.unity``) writes it from
``release/unity_catalog.yml``: catalogs, schemas, external locations with the
URLs the adapter resolved for this target, and grants. Every later process
reads it: ``lakehouse status`` shows it, and the adapter refuses a table
outside every declared external location, as Unity Catalog does, within the
containers those locations live in (``governed_roots``).

Without the file (nothing applied on this machine) nothing is enforced, as
before. On Databricks it is never read: Unity Catalog enforces its own rules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.platform.config import LakehouseConfig
from app.platform.errors import ExternalLocationError


def state_path(config: LakehouseConfig) -> Path:
    """Where the applied state lives: one file per storage target (the URLs differ)."""
    return config.home_path / "unity_catalog" / f"{config.storage}.json"


def read_state(config: LakehouseConfig) -> dict[str, Any] | None:
    """The applied state as stored, or None when nothing was applied for this target."""
    try:
        return dict(json.loads(state_path(config).read_text()))
    except FileNotFoundError:
        return None


def write_state(config: LakehouseConfig, state: dict[str, Any]) -> Path:
    """Store the state whole: written beside the file, then renamed over it."""
    path = state_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def _within(url: str, base: str) -> bool:
    base = base.rstrip("/")
    return url.rstrip("/") == base or url.startswith(base + "/")


def check_table_location(config: LakehouseConfig, url: str) -> None:
    """Refuse a table whose folder lies outside every declared external location.

    One small file read per table created (microseconds beside the CREATE TABLE).

    Raises:
        ExternalLocationError: Unity Catalog's NO_PARENT_EXTERNAL_LOCATION_FOR_PATH.
    """
    state = read_state(config)
    if state is None:
        return
    # Only the containers the declared locations live in are governed: the test, chaos
    # and bench harnesses make private containers beside them, which stay unchecked.
    if not any(_within(url, root) for root in state.get("governed_roots", [])):
        return
    locations = state.get("external_locations", {})
    if any(_within(url, loc["url"]) for loc in locations.values()):
        return
    raise ExternalLocationError(
        f"[NO_PARENT_EXTERNAL_LOCATION_FOR_PATH] No parent external location was found for "
        f"path '{url}'. Declared external locations ({state_path(config)}): "
        f"{', '.join(sorted(locations)) or 'none'}. Declare one covering this path in "
        "release/unity_catalog.yml and run `lakehouse catalog apply`, or point the "
        "LAKEHOUSE_*_CONTAINER settings at a declared location."
    )
