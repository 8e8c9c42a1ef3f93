"""Unity Catalog endpoints of the Databricks REST emulator (``/api/2.1/unity-catalog/...``).

Enough for ``lakehouse catalog plan|apply --workspace`` and its tests through the
official client: catalogs, schemas, storage credentials and external
locations (create, get, list; external locations also update), and grants
(``GET``/``PATCH /permissions/{securable_type}/{full_name}``), in memory.

Rules kept from the service, each answered with its REST error:

- names are unique: a second create is ``409 RESOURCE_ALREADY_EXISTS``;
- a schema needs its catalog, an external location its storage credential, a
  grant its securable: ``404`` with a ``*_DOES_NOT_EXIST`` code;
- an external location may not lie within another, and a catalog's ``storage_root``
  must lie within one (``400 INVALID_PARAMETER_VALUE``);
- a privilege must apply to the securable (``400``, e.g. READ_FILES on a catalog).

Not emulated: principals (any name is accepted), ownership and who may grant,
metastore-level privileges, inheritance at read time, deletes, paging beyond one page.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote, urlparse

_SHARED = {
    "ALL_PRIVILEGES", "APPLY_TAG", "BROWSE", "CREATE_FUNCTION", "CREATE_MATERIALIZED_VIEW",
    "CREATE_MODEL", "CREATE_TABLE", "CREATE_VOLUME", "EXECUTE", "MANAGE", "MODIFY",
    "READ_VOLUME", "REFRESH", "SELECT", "USE_SCHEMA", "WRITE_VOLUME",
}
APPLICABLE = {
    "catalog": _SHARED | {"USE_CATALOG", "CREATE_SCHEMA"},
    "schema": set(_SHARED),
    "external_location": {"ALL_PRIVILEGES", "BROWSE", "CREATE_EXTERNAL_TABLE",
                          "CREATE_EXTERNAL_VOLUME", "CREATE_MANAGED_STORAGE",
                          "EXTERNAL_USE_LOCATION", "MANAGE", "READ_FILES", "WRITE_FILES"},
}
OWNER = "emulator@localhost"
METASTORE_ID = "00000000-0000-0000-0000-000000000001"


class UcError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _now_ms() -> int:
    return int(time.time() * 1000)


def _within(url: str, base: str) -> bool:
    a, b = urlparse(url), urlparse(base)
    if (a.scheme, a.netloc) != (b.scheme, b.netloc):
        return False
    inner, outer = a.path.strip("/"), b.path.strip("/")
    return not outer or inner == outer or inner.startswith(outer + "/")


class UnityCatalog:
    """The metastore behind the endpoints; the server calls ``handle`` under its lock."""

    def __init__(self) -> None:
        self.catalogs: dict[str, dict[str, Any]] = {}
        self.schemas: dict[str, dict[str, Any]] = {}
        self.credentials: dict[str, dict[str, Any]] = {}
        self.locations: dict[str, dict[str, Any]] = {}
        # (securable_type, full_name) -> principal -> privileges
        self.grants: dict[tuple[str, str], dict[str, set[str]]] = {}

    def handle(self, method: str, path: str, q: dict[str, str],
               body: dict[str, Any]) -> dict[str, Any]:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        kind, rest = parts[0], parts[1:]
        if kind == "permissions" and len(rest) == 2:
            if method == "GET":
                return self._permissions(rest[0], rest[1])
            if method == "PATCH":
                return self._update_permissions(rest[0], rest[1], body)
        collections = {"catalogs": (self.catalogs, self._new_catalog),
                       "schemas": (self.schemas, self._new_schema),
                       "storage-credentials": (self.credentials, self._new_credential),
                       "external-locations": (self.locations, self._new_location)}
        if kind in collections:
            items, create = collections[kind]
            if not rest and method == "POST":
                return create(body)
            if not rest and method == "GET":
                found = list(items.values())
                if kind == "schemas":
                    self._catalog(q.get("catalog_name", ""))
                    found = [s for s in found if s["catalog_name"] == q.get("catalog_name")]
                key = kind.replace("-", "_")
                return {key: found} if found else {}
            if len(rest) == 1 and method == "GET":
                return self._get(kind, items, rest[0])
            if len(rest) == 1 and method == "PATCH" and kind == "external-locations":
                return self._update_location(rest[0], body)
        raise UcError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method} "
                      f"/api/2.1/unity-catalog/{path}'")

    # --- objects ---------------------------------------------------------------
    @staticmethod
    def _get(kind: str, items: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
        if name not in items:
            what = {"catalogs": "Catalog", "schemas": "Schema",
                    "storage-credentials": "Storage Credential",
                    "external-locations": "External Location"}[kind]
            code = what.upper().replace(" ", "_") + "_DOES_NOT_EXIST"
            raise UcError(404, code, f"{what} '{name}' does not exist.")
        return items[name]

    def _catalog(self, name: str) -> dict[str, Any]:
        return self._get("catalogs", self.catalogs, name)

    @staticmethod
    def _name(body: dict[str, Any], field: str = "name") -> str:
        name = body.get(field)
        if not isinstance(name, str) or not name:
            raise UcError(400, "INVALID_PARAMETER_VALUE", f"{field} is required")
        return name

    @staticmethod
    def _unique(items: dict[str, Any], name: str, what: str) -> None:
        if name in items:
            raise UcError(409, "RESOURCE_ALREADY_EXISTS", f"{what} '{name}' already exists.")

    def _new_catalog(self, body: dict[str, Any]) -> dict[str, Any]:
        name = self._name(body)
        self._unique(self.catalogs, name, "Catalog")
        root = body.get("storage_root")
        if root and not any(_within(root, loc["url"]) for loc in self.locations.values()):
            raise UcError(400, "INVALID_PARAMETER_VALUE", f"No parent external location was "
                          f"found for path '{root}'.")
        self.catalogs[name] = {"name": name, "full_name": name, "comment": body.get("comment"),
                               "owner": OWNER, "catalog_type": "MANAGED_CATALOG",
                               "storage_root": root, "metastore_id": METASTORE_ID,
                               "created_at": _now_ms()}
        return self.catalogs[name]

    def _new_schema(self, body: dict[str, Any]) -> dict[str, Any]:
        name, catalog = self._name(body), self._name(body, "catalog_name")
        self._catalog(catalog)
        full = f"{catalog}.{name}"
        self._unique(self.schemas, full, "Schema")
        self.schemas[full] = {"name": name, "catalog_name": catalog, "full_name": full,
                              "comment": body.get("comment"), "owner": OWNER,
                              "metastore_id": METASTORE_ID, "created_at": _now_ms()}
        return self.schemas[full]

    def _new_credential(self, body: dict[str, Any]) -> dict[str, Any]:
        name = self._name(body)
        self._unique(self.credentials, name, "Storage Credential")
        info = {k: v for k, v in body.items() if k in ("name", "comment", "read_only",
                                                        "azure_managed_identity")}
        self.credentials[name] = {**info, "full_name": name, "owner": OWNER,
                                  "created_at": _now_ms()}
        return self.credentials[name]

    def _check_location(self, name: str, url: str, credential: str) -> None:
        parsed = urlparse(url)
        if not parsed.scheme or not parsed.netloc:
            raise UcError(400, "INVALID_PARAMETER_VALUE", f"Invalid url '{url}'.")
        self._get("storage-credentials", self.credentials, credential)
        for other in self.locations.values():
            if other["name"] != name and (_within(url, other["url"])
                                          or _within(other["url"], url)):
                raise UcError(400, "INVALID_PARAMETER_VALUE",
                              f"Input path url '{url}' overlaps with other external "
                              f"location '{other['name']}' ({other['url']}).")

    def _new_location(self, body: dict[str, Any]) -> dict[str, Any]:
        name, url = self._name(body), self._name(body, "url")
        credential = self._name(body, "credential_name")
        self._unique(self.locations, name, "External Location")
        self._check_location(name, url, credential)
        self.locations[name] = {"name": name, "url": url, "credential_name": credential,
                                "comment": body.get("comment"), "owner": OWNER,
                                "read_only": bool(body.get("read_only")),
                                "metastore_id": METASTORE_ID, "created_at": _now_ms()}
        return self.locations[name]

    def _update_location(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        loc = self._get("external-locations", self.locations, name)
        url = body.get("url") or loc["url"]
        credential = body.get("credential_name") or loc["credential_name"]
        self._check_location(name, url, credential)
        loc.update(url=url, credential_name=credential, updated_at=_now_ms())
        if body.get("comment") is not None:
            loc["comment"] = body["comment"]
        return loc

    # --- grants ----------------------------------------------------------------
    def _securable(self, kind: str, full_name: str) -> tuple[str, str]:
        items = {"catalog": ("catalogs", self.catalogs), "schema": ("schemas", self.schemas),
                 "external_location": ("external-locations", self.locations)}
        if kind not in items:
            raise UcError(400, "INVALID_PARAMETER_VALUE",
                          f"Securable type {kind} is not supported by this emulator "
                          f"(supported: {', '.join(items)}).")
        self._get(items[kind][0], items[kind][1], full_name)
        return kind, full_name

    def _assignments(self, key: tuple[str, str]) -> dict[str, Any]:
        held = [{"principal": p, "privileges": sorted(privs)}
                for p, privs in sorted(self.grants.get(key, {}).items()) if privs]
        return {"privilege_assignments": held} if held else {}

    def _permissions(self, kind: str, full_name: str) -> dict[str, Any]:
        return self._assignments(self._securable(kind, full_name))

    def _update_permissions(self, kind: str, full_name: str,
                            body: dict[str, Any]) -> dict[str, Any]:
        key = self._securable(kind, full_name)
        changes = body.get("changes") or []
        for ch in changes:  # validate all before changing anything
            if not ch.get("principal"):
                raise UcError(400, "INVALID_PARAMETER_VALUE", "principal is required")
            for p in [*(ch.get("add") or []), *(ch.get("remove") or [])]:
                if p not in APPLICABLE[kind]:
                    raise UcError(400, "INVALID_PARAMETER_VALUE",
                                  f"Privilege {p} is not applicable to this entity "
                                  f"[{full_name}:{kind.upper()}].")
        by = self.grants.setdefault(key, {})
        for ch in changes:
            held = by.setdefault(ch["principal"], set())
            held |= set(ch.get("add") or [])
            held -= set(ch.get("remove") or [])
        return self._assignments(key)
