"""The loader of release/unity_catalog.yml: the shipped file loads, and every kind of
mistake is refused with a message that names the file, the line, the entry and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.platform.config import ENVIRONMENTS
from app.platform.storage import LOCATIONS
from release.unity import spec
from release.unity.spec import SpecError

GOOD = """\
groups: [data_engineers, data_analysts]
catalogs:
  - name: dev
    managed_location: dev_tables
    grants:
      data_engineers: [USE CATALOG, use_schema, SELECT]
    schemas:
      - name: fitness
        grants:
          data_analysts: [USE SCHEMA, SELECT]
external_locations:
  - name: dev_tables
    url: abfss://lakehouse@acct.dfs.core.windows.net/dev
    credential: dev_cred
    adapter_location: tables
    grants:
      data_engineers: [READ FILES, CREATE EXTERNAL TABLE]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "uc.yml"
    path.write_text(text)
    return path


def fails(tmp_path: Path, text: str, **kwargs: object) -> str:
    with pytest.raises(SpecError) as err:
        spec.load(write(tmp_path, text), **kwargs)  # type: ignore[arg-type]
    return str(err.value)


def test_the_shipped_file_declares_every_environment_with_its_three_locations() -> None:
    s = spec.load(catalog_names=ENVIRONMENTS)
    assert [c.name for c in s.catalogs] == list(ENVIRONMENTS)
    assert all([sc.name for sc in c.schemas] == ["fitness"] for c in s.catalogs)
    kinds = {(loc.name.split("_")[0], loc.adapter_location) for loc in s.external_locations}
    assert kinds == {(e, k) for e in ENVIRONMENTS for k in LOCATIONS}
    assert "data_engineers" in s.groups


def test_adapter_locations_are_the_adapter_s() -> None:
    assert spec.ADAPTER_LOCATIONS == LOCATIONS


def test_a_good_file_loads_with_privileges_in_api_spelling(tmp_path: Path) -> None:
    s = spec.load(write(tmp_path, GOOD))
    assert s.groups == ("data_engineers", "data_analysts")
    assert s.catalogs[0].grants[0].privileges == {"USE_CATALOG", "USE_SCHEMA", "SELECT"}
    assert s.catalogs[0].schemas[0].grants[0].principal == "data_analysts"
    loc = s.external_locations[0]
    assert (loc.credential, loc.adapter_location, loc.path) == ("dev_cred", "tables", "dev")
    assert loc.grants[0].privileges == {"READ_FILES", "CREATE_EXTERNAL_TABLE"}


def test_a_privilege_not_applicable_to_the_securable(tmp_path: Path) -> None:
    text = GOOD.replace("[USE CATALOG, use_schema, SELECT]", "[USE CATALOG, READ FILES]")
    msg = fails(tmp_path, text)
    assert msg.startswith(f"{tmp_path / 'uc.yml'}:6: catalogs[0] 'dev': grants of "
                          "'data_engineers': unknown privilege 'READ FILES' on catalog")
    assert "USE_CATALOG" in msg  # the allowed ones are listed


def test_a_misspelt_privilege_on_a_schema(tmp_path: Path) -> None:
    msg = fails(tmp_path, GOOD.replace("[USE SCHEMA, SELECT]", "[USE SCHEMA, SELEC]"))
    assert ":10: catalogs[0] 'dev': schemas[0] 'fitness': grants of 'data_analysts': " \
           "unknown privilege 'SELEC' on schema" in msg


def test_a_grant_to_an_undeclared_group(tmp_path: Path) -> None:
    msg = fails(tmp_path, GOOD.replace("data_analysts: [USE SCHEMA", "analysts: [USE SCHEMA"))
    assert "grants of 'analysts': not a declared group (declared: data_engineers, " \
           "data_analysts)" in msg


def test_a_missing_required_field(tmp_path: Path) -> None:
    msg = fails(tmp_path, GOOD.replace("    credential: dev_cred\n", ""))
    assert msg == (f"{tmp_path / 'uc.yml'}:12: external_locations[0]: field 'credential' "
                   "is required")


def test_an_unknown_field(tmp_path: Path) -> None:
    msg = fails(tmp_path, GOOD.replace("  - name: dev\n", "  - name: dev\n    owner: me\n"))
    assert "catalogs[0]: unknown field 'owner' (allowed: name, comment, managed_location, " \
           "schemas, grants)" in msg


def test_an_unknown_adapter_location(tmp_path: Path) -> None:
    msg = fails(tmp_path, GOOD.replace("adapter_location: tables", "adapter_location: gold"))
    assert ":15: external_locations[0] 'dev_tables': field 'adapter_location': 'gold' is " \
           "not one of the adapter's locations (data_zone, checkpoint, tables)" in msg


def test_a_relative_url(tmp_path: Path) -> None:
    msg = fails(tmp_path, GOOD.replace("abfss://lakehouse@acct.dfs.core.windows.net/dev",
                                       "lakehouse/dev"))
    assert "field 'url': 'lakehouse/dev' is not an absolute cloud storage URL" in msg


def test_overlapping_external_locations(tmp_path: Path) -> None:
    second = """\
  - name: dev_all
    url: abfss://lakehouse@acct.dfs.core.windows.net/
    credential: dev_cred
    adapter_location: tables
"""
    msg = fails(tmp_path, GOOD + second)
    assert "external_locations[1] 'dev_all': url 'abfss://lakehouse@acct.dfs.core.windows.net/'" \
           " overlaps external location 'dev_tables'" in msg
    # Same path on another account is no overlap.
    spec.load(write(tmp_path, GOOD + second.replace("@acct.", "@other.")))


def test_a_catalog_that_is_no_environment(tmp_path: Path) -> None:
    msg = fails(tmp_path, GOOD.replace("name: dev\n", "name: staging\n"),
                catalog_names=ENVIRONMENTS)
    assert "catalogs[0] 'staging': catalog 'staging' matches no environment" in msg


def test_a_managed_location_that_is_not_declared(tmp_path: Path) -> None:
    msg = fails(tmp_path, GOOD.replace("managed_location: dev_tables", "managed_location: dev_t"))
    assert ":4: catalogs[0] 'dev': field 'managed_location': 'dev_t' is not a declared " \
           "external location" in msg
    assert spec.load(write(tmp_path, GOOD)).catalogs[0].managed_location == "dev_tables"
    optional = spec.load(write(tmp_path, GOOD.replace("    managed_location: dev_tables\n", "")))
    assert optional.catalogs[0].managed_location == ""


def test_duplicates(tmp_path: Path) -> None:
    msg = fails(tmp_path, GOOD.replace("groups: [data_engineers, data_analysts]",
                                       "groups: [data_engineers, data_engineers]"))
    assert ":1: groups[1]: group 'data_engineers' is declared twice" in msg


def test_not_a_name_and_not_yaml_and_missing(tmp_path: Path) -> None:
    assert "field 'name': 'dev-1' is not a plain name" in fails(
        tmp_path, GOOD.replace("name: dev\n", "name: dev-1\n"))
    assert "not valid YAML" in fails(tmp_path, "groups: [a\n")
    with pytest.raises(SpecError, match="cannot read the Unity Catalog file"):
        spec.load(tmp_path / "absent.yml")
