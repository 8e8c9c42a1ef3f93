from __future__ import annotations

from pathlib import Path

import pytest

from app.platform.catalog import CatalogNames
from app.platform.config import load_config
from app.platform.errors import ConfigError
from app.platform.lakehouse import Lakehouse


def test_local_names_map_catalog_and_schema_onto_one_database() -> None:
    names = CatalogNames("dev", "fitness")
    assert names.table("users") == "dev__fitness.users"


def test_unity_names_keep_three_levels() -> None:
    names = CatalogNames("prod", "fitness", unity=True)
    assert names.table("users") == "prod.fitness.users"


@pytest.mark.parametrize("bad", ["users; DROP", "1users", "a-b", ""])
def test_table_names_must_be_identifiers(bad: str) -> None:
    with pytest.raises(ConfigError, match="identifier"):
        CatalogNames("dev", "fitness").table(bad)


def test_locations_and_checkpoints_follow_the_domain_layout(tmp_path: Path) -> None:
    config = load_config(env={}, dotenv=Path("/none"), storage="azurite", environment="sit")
    lakehouse = Lakehouse(config)
    assert lakehouse.location("data_zone") == (
        "abfs://landing@devstoreaccount1.dfs.core.windows.net"
    )
    assert lakehouse.checkpoint("users") == (
        "abfs://checkpoints@devstoreaccount1.dfs.core.windows.net/checkpoints/users"
    )
    assert lakehouse.table_location("users") == (
        "abfs://lakehouse@devstoreaccount1.dfs.core.windows.net/sit/fitness/users"
    )
    assert lakehouse.table("users") == "sit__fitness.users"


def test_adls_locations_use_abfss(tmp_path: Path) -> None:
    config = load_config(
        env={"AZURE_STORAGE_ACCOUNT": "acct", "AZURE_STORAGE_KEY": "k"},
        dotenv=Path("/none"),
        storage="adls",
    )
    assert Lakehouse(config).location("data_zone") == "abfss://landing@acct.dfs.core.windows.net"
