"""Locally, as on Unity Catalog, a table outside every declared external location is
refused (NO_PARENT_EXTERNAL_LOCATION_FOR_PATH), with real Spark and Delta where a table is
made; inside a declared location it is created as before. Governed are the containers the
declared locations live in (harnesses' private containers are not); with nothing applied
nothing is enforced."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.platform import metastore
from app.platform.config import LakehouseConfig
from app.platform.errors import ExternalLocationError
from app.platform.lakehouse import Lakehouse
from lakehouse_local import unity
from tests.conftest import LakehouseFactory

SHIPPED = Path(__file__).resolve().parents[2] / "release" / "unity_catalog.yml"


def test_outside_the_declared_locations_is_refused_inside_is_created(
        lakehouse_factory: LakehouseFactory, tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    lh = lakehouse_factory("local", home=home)
    # The shipped file without prod's tables location (the last entry) and its use.
    text = SHIPPED.read_text()
    edited = tmp_path / "uc.yml"
    edited.write_text(text[:text.index("  - name: prod_tables")]
                      .replace("    managed_location: prod_tables\n", ""))
    unity.apply_local(lh.config, unity.load(edited))  # dev_tables -> <tables of lh>/dev

    lh.create_schema()
    lh.create_table("declared", "id BIGINT")
    assert "declared" in lh.existing()

    # prod's tables would sit in the same container, where no location covers them.
    prod = Lakehouse(lh.config.replace(environment="prod"), lh.spark)
    with pytest.raises(ExternalLocationError) as err:
        prod.create_table("stray", "id BIGINT")
    where = prod.table_location("stray")
    assert where.endswith("/prod/" + f"{lh.config.schema}/stray")
    assert str(err.value).startswith(
        f"[NO_PARENT_EXTERNAL_LOCATION_FOR_PATH] No parent external location was found for "
        f"path '{where}'.")
    assert "dev_tables" in str(err.value) and "prod_tables" not in str(err.value)
    assert not lh.spark.catalog.tableExists(prod.table("stray"))  # refused before Spark
    assert not Path(where.removeprefix("file:")).exists()

    # A harness's private containers (tests, chaos, bench) are not governed.
    private = lakehouse_factory("local", home=home)
    private.create_schema()
    private.create_table("private", "id BIGINT")


def test_nothing_applied_nothing_enforced(base_config: LakehouseConfig, tmp_path: Path) -> None:
    config = base_config.replace(home=str(tmp_path))
    assert metastore.read_state(config) is None
    metastore.check_table_location(config, "file:/anywhere/at/all")


def test_the_check_is_a_prefix_match_on_folder_boundaries(base_config: LakehouseConfig,
                                                          tmp_path: Path) -> None:
    config = base_config.replace(home=str(tmp_path))
    metastore.write_state(config, {
        "governed_roots": ["abfs://lakehouse@acct.dfs.core.windows.net"],
        "external_locations": {
            "t": {"url": "abfs://lakehouse@acct.dfs.core.windows.net/dev", "credential": "c"}}})
    metastore.check_table_location(config, "abfs://lakehouse@acct.dfs.core.windows.net/dev/s/t")
    for outside in ("abfs://lakehouse@acct.dfs.core.windows.net/devx/s/t",  # not a sub-folder
                    "abfs://lakehouse@acct.dfs.core.windows.net/prod/s/t"):
        with pytest.raises(ExternalLocationError, match="NO_PARENT_EXTERNAL_LOCATION_FOR_PATH"):
            metastore.check_table_location(config, outside)
    # Another container (or account) is not governed: a harness's private one.
    metastore.check_table_location(config, "abfs://lakehouse-x1@acct.dfs.core.windows.net/dev/t")
    metastore.check_table_location(config, "abfs://other@acct.dfs.core.windows.net/dev/s/t")


def test_the_check_costs_nothing_measurable_per_table(base_config: LakehouseConfig) -> None:
    config = base_config.replace(home=str(Path(base_config.home) / "uc-cost"))
    unity.apply_local(config, unity.load())
    url = unity.resolver(config)(next(loc for loc in unity.load().external_locations
                                      if loc.name == "dev_tables")) + "/fitness/t"
    began = time.perf_counter()
    for _ in range(200):
        metastore.check_table_location(config, url)
    per_table = (time.perf_counter() - began) / 200
    assert per_table < 0.005, f"{per_table * 1000:.2f} ms per table"  # CREATE TABLE: ~100 ms
