"""The typed loader of ``release/unity_catalog.yml``: catalogs, schemas, external locations, grants.

Every error names the file, the line, the entry and the field, and says what
is allowed, e.g.::

    release/unity_catalog.yml:41: catalogs[0] 'dev': grants of 'data_engineers':
    unknown privilege 'SELEC' on a catalog (allowed: ALL_PRIVILEGES, ...)

Privileges may be spelled as in SQL (``USE CATALOG``) or as in the REST API
(``USE_CATALOG``); they are kept in the API spelling. Which privilege applies
to which securable follows the Unity Catalog privilege reference.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

DEFAULT_FILE = Path(__file__).resolve().parents[1] / "unity_catalog.yml"
# The adapter's named external locations (app.platform.storage.LOCATIONS; a test keeps
# them equal): locally a declared location resolves to the URL the adapter gives its kind.
ADAPTER_LOCATIONS = ("data_zone", "checkpoint", "tables")

_SHARED = frozenset({
    "ALL_PRIVILEGES", "APPLY_TAG", "BROWSE", "CREATE_FUNCTION", "CREATE_MATERIALIZED_VIEW",
    "CREATE_MODEL", "CREATE_TABLE", "CREATE_VOLUME", "EXECUTE", "MANAGE", "MODIFY",
    "READ_VOLUME", "REFRESH", "SELECT", "USE_SCHEMA", "WRITE_VOLUME",
})
PRIVILEGES: dict[str, frozenset[str]] = {
    "catalog": _SHARED | {"USE_CATALOG", "CREATE_SCHEMA"},
    "schema": _SHARED,
    "external_location": frozenset({
        "ALL_PRIVILEGES", "BROWSE", "CREATE_EXTERNAL_TABLE", "CREATE_EXTERNAL_VOLUME",
        "CREATE_MANAGED_STORAGE", "EXTERNAL_USE_LOCATION", "MANAGE", "READ_FILES", "WRITE_FILES",
    }),
}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PRINCIPAL = re.compile(r"^[^\s`][^`]*$")


class SpecError(ValueError):
    """The declarative file is missing, unreadable or invalid (the message says where)."""


@dataclass(frozen=True)
class Grant:
    principal: str
    privileges: frozenset[str]


@dataclass(frozen=True)
class Schema:
    name: str
    comment: str = ""
    grants: tuple[Grant, ...] = ()


@dataclass(frozen=True)
class Catalog:
    name: str
    comment: str = ""
    schemas: tuple[Schema, ...] = ()
    grants: tuple[Grant, ...] = ()
    # The external location holding the catalog's managed tables (UC's storage_root).
    managed_location: str = ""


@dataclass(frozen=True)
class ExternalLocation:
    name: str
    url: str
    credential: str
    adapter_location: str
    comment: str = ""
    grants: tuple[Grant, ...] = ()

    @property
    def path(self) -> str:
        """The URL's path below its container, '' at the root: kept when resolved locally."""
        return urlparse(self.url).path.strip("/")


@dataclass(frozen=True)
class UnitySpec:
    path: Path
    groups: tuple[str, ...]
    catalogs: tuple[Catalog, ...]
    external_locations: tuple[ExternalLocation, ...]


class _Reader:
    """Walks the parsed YAML, turning each problem into a SpecError that says where."""

    def __init__(self, path: Path, display: str) -> None:
        self.path = path
        self.display = display

    def fail(self, node: Any, where: str, message: str, key: Any = None) -> SpecError:
        line = _line(node, key)
        at = f"{self.display}:{line}" if line else self.display
        return SpecError(f"{at}: {where}: {message}" if where else f"{at}: {message}")

    def mapping(self, node: Any, where: str, required: Iterable[str],
                optional: Iterable[str]) -> Mapping[str, Any]:
        if not isinstance(node, Mapping):
            raise self.fail(node, where, f"expected a mapping, got {_kind(node)}")
        allowed = [*required, *optional]
        for key in node:
            if key not in allowed:
                raise self.fail(node, where, f"unknown field {key!r} (allowed: "
                                f"{', '.join(allowed)})", key)
        for key in required:
            if key not in node or node[key] in (None, ""):
                raise self.fail(node, where, f"field {key!r} is required")
        return node

    def text(self, node: Mapping[str, Any], key: str, where: str, pattern: re.Pattern[str]
             | None = None, default: str = "") -> str:
        value = node.get(key, default)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.fail(node, where, f"field {key!r} must be text, got {_kind(value)}", key)
        if pattern is not None and value and not pattern.match(value):
            raise self.fail(node, where, f"field {key!r}: {value!r} is not a plain name "
                            "(letters, digits, underscores; not starting with a digit)", key)
        return value

    def sequence(self, node: Mapping[str, Any], key: str, where: str) -> list[Any]:
        value = node.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(node, where, f"field {key!r} must be a list, got {_kind(value)}",
                            key)
        return value

    def grants(self, node: Mapping[str, Any], where: str, securable: str,
               groups: tuple[str, ...]) -> tuple[Grant, ...]:
        raw = node.get("grants")
        if raw is None:
            return ()
        if not isinstance(raw, Mapping):
            raise self.fail(node, where, "field 'grants' must map a group to its privileges "
                            f"(e.g. data_engineers: [USE CATALOG]), got {_kind(raw)}", "grants")
        out = []
        for principal, privileges in raw.items():
            at = f"{where}: grants of {principal!r}"
            if principal not in groups:
                raise self.fail(raw, at, "not a declared group (declared: "
                                f"{', '.join(groups) or 'none'}); add it to 'groups'", principal)
            if not isinstance(privileges, list) or not privileges:
                raise self.fail(raw, at, "expected a non-empty list of privileges", principal)
            names = set()
            for p in privileges:
                name = str(p).strip().upper().replace(" ", "_")
                if name not in PRIVILEGES[securable]:
                    raise self.fail(raw, at, f"unknown privilege {p!r} on "
                                    f"{securable.replace('_', ' ')} (allowed: "
                                    f"{', '.join(sorted(PRIVILEGES[securable]))})", principal)
                if name in names:
                    raise self.fail(raw, at, f"privilege {p!r} is listed twice", principal)
                names.add(name)
            out.append(Grant(str(principal), frozenset(names)))
        return tuple(out)


def _line(node: Any, key: Any = None) -> int | None:
    """1-based line of ``node`` (or of its ``key``) from ruamel's round-trip data."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        if key is not None and isinstance(node, Mapping):
            return int(lc.key(key)[0]) + 1
        if key is not None:
            return int(lc.item(key)[0]) + 1
        return int(lc.line) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return int(lc.line) + 1 if getattr(lc, "line", None) is not None else None


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _parse(path: Path, display: str) -> Any:
    try:
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError
    except ImportError as exc:  # pragma: no cover - installed by make setup
        raise ImportError("reading the Unity Catalog file needs ruamel.yaml: run `make setup` "
                          "or `pip install ruamel.yaml`") from exc
    try:
        text = path.read_text()
    except OSError as exc:
        raise SpecError(f"{display}: cannot read the Unity Catalog file ({exc.strerror})") from None
    try:
        return YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"{display}{line}: not valid YAML ({problem})") from None


def load(path: Path | None = None, catalog_names: Iterable[str] | None = None) -> UnitySpec:
    """Read and validate the Unity Catalog file.

    Args:
        path: the file (default ``release/unity_catalog.yml``).
        catalog_names: when given, the only catalog names allowed (the adapter's
            environments: locally a catalog nobody can select would be dead code).

    Raises:
        SpecError: the file is missing, not YAML, or an entry is invalid; the
            message names the file, line, entry and field.
    """
    path = path or DEFAULT_FILE
    display = _display(path)
    root = _parse(path, display)
    r = _Reader(path, display)
    top = r.mapping(root, "", ["groups"], ["catalogs", "external_locations"])
    groups_raw = r.sequence(top, "groups", "groups")
    if not groups_raw:
        raise r.fail(top, "groups", "declare at least one group", "groups")
    groups = []
    for i, g in enumerate(groups_raw):
        if not isinstance(g, str) or not _PRINCIPAL.match(g):
            raise r.fail(groups_raw, f"groups[{i}]", f"{g!r} is not a principal name", i)
        if g in groups:
            raise r.fail(groups_raw, f"groups[{i}]", f"group {g!r} is declared twice", i)
        groups.append(g)
    names = tuple(groups)
    allowed_catalogs = tuple(catalog_names) if catalog_names is not None else None

    catalogs: list[Catalog] = []
    for i, node in enumerate(r.sequence(top, "catalogs", "catalogs")):
        where = f"catalogs[{i}]"
        m = r.mapping(node, where, ["name"], ["comment", "managed_location", "schemas",
                                               "grants"])
        name = r.text(m, "name", where, _NAME)
        where = f"{where} {name!r}"
        if allowed_catalogs is not None and name not in allowed_catalogs:
            raise r.fail(m, where, f"catalog {name!r} matches no environment (the adapter's "
                         f"catalog is the environment: {', '.join(allowed_catalogs)})", "name")
        if any(c.name == name for c in catalogs):
            raise r.fail(m, where, f"catalog {name!r} is declared twice", "name")
        schemas: list[Schema] = []
        for j, snode in enumerate(r.sequence(m, "schemas", where)):
            swhere = f"{where}: schemas[{j}]"
            sm = r.mapping(snode, swhere, ["name"], ["comment", "grants"])
            sname = r.text(sm, "name", swhere, _NAME)
            swhere = f"{swhere} {sname!r}"
            if any(s.name == sname for s in schemas):
                raise r.fail(sm, swhere, f"schema {name}.{sname} is declared twice", "name")
            schemas.append(Schema(sname, r.text(sm, "comment", swhere),
                                  r.grants(sm, swhere, "schema", names)))
        catalogs.append(Catalog(name, r.text(m, "comment", where), tuple(schemas),
                                r.grants(m, where, "catalog", names),
                                r.text(m, "managed_location", where, _NAME)))

    locations: list[ExternalLocation] = []
    loc_nodes = r.sequence(top, "external_locations", "external_locations")
    for i, node in enumerate(loc_nodes):
        where = f"external_locations[{i}]"
        m = r.mapping(node, where, ["name", "url", "credential", "adapter_location"],
                      ["comment", "grants"])
        name = r.text(m, "name", where, _NAME)
        where = f"{where} {name!r}"
        if any(loc.name == name for loc in locations):
            raise r.fail(m, where, f"external location {name!r} is declared twice", "name")
        url = r.text(m, "url", where)
        parsed = urlparse(url)
        if not parsed.scheme or not parsed.netloc:
            raise r.fail(m, where, f"field 'url': {url!r} is not an absolute cloud storage URL "
                         "(e.g. abfss://<container>@<account>.dfs.core.windows.net/<path>)", "url")
        kind = r.text(m, "adapter_location", where)
        if kind not in ADAPTER_LOCATIONS:
            raise r.fail(m, where, f"field 'adapter_location': {kind!r} is not one of the "
                         f"adapter's locations ({', '.join(ADAPTER_LOCATIONS)})",
                         "adapter_location")
        loc = ExternalLocation(name, url, r.text(m, "credential", where, _NAME), kind,
                               r.text(m, "comment", where),
                               r.grants(m, where, "external_location", names))
        for other in locations:
            inner, outer = (loc, other) if _within(loc.url, other.url) else (other, loc)
            if _within(inner.url, outer.url):
                raise r.fail(m, where, f"url {loc.url!r} overlaps external location "
                             f"{other.name!r} ({other.url}); Unity Catalog refuses an external "
                             "location within another", "url")
        locations.append(loc)
    declared = {loc.name for loc in locations}
    nodes = r.sequence(top, "catalogs", "catalogs")
    for i, (c, node) in enumerate(zip(catalogs, nodes, strict=True)):
        if c.managed_location and c.managed_location not in declared:
            raise r.fail(node, f"catalogs[{i}] {c.name!r}", "field 'managed_location': "
                         f"{c.managed_location!r} is not a declared external location",
                         "managed_location")
    return UnitySpec(path, names, tuple(catalogs), tuple(locations))


def _within(url: str, base: str) -> bool:
    a, b = urlparse(url), urlparse(base)
    if (a.scheme, a.netloc) != (b.scheme, b.netloc):
        return False
    inner, outer = a.path.strip("/"), b.path.strip("/")
    return not outer or inner == outer or inner.startswith(outer + "/")


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
