"""`lakehouse catalog plan|apply` against the local catalog emulation (no Spark): the
locations resolve to the adapter's URLs, the second apply changes nothing, the state is
seen by the next process (`lakehouse status` in a subprocess), and who may read what."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.platform import metastore
from app.platform.config import LakehouseConfig
from app.platform.errors import ConfigError
from lakehouse_local import cli, unity
from release.unity.state import State

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(base_config: LakehouseConfig, tmp_path: Path) -> LakehouseConfig:
    return base_config.replace(home=str(tmp_path / "home"))


def test_locations_resolve_to_the_adapter_s_urls(config: LakehouseConfig, tmp_path: Path) -> None:
    spec = unity.load()
    resolve = unity.resolver(config)
    urls = {loc.name: resolve(loc) for loc in spec.external_locations}
    local = (tmp_path / "home" / "local").resolve().as_posix()
    assert urls["dev_tables"] == f"file:{local}/lakehouse/dev"
    assert urls["prod_tables"] == f"file:{local}/lakehouse/prod"
    assert urls["dev_landing"] == f"file:{local}/landing"
    assert urls["qa_checkpoints"] == f"file:{local}/checkpoints"
    azurite = unity.resolver(config.replace(storage="azurite"))
    by_name = {loc.name: loc for loc in spec.external_locations}
    assert azurite(by_name["sit_tables"]) == (
        "abfs://lakehouse@devstoreaccount1.dfs.core.windows.net/sit")


def test_plan_apply_then_nothing_left(config: LakehouseConfig,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    spec = unity.load()
    assert unity.run(config, "plan", None, workspace=False) == 0
    first = capsys.readouterr().out
    assert "20 to create, 28 to grant" in first  # 4 catalogs + 4 schemas + 12 locations
    assert metastore.read_state(config) is None  # plan changes nothing
    assert len(unity.apply_local(config, spec)) == 48
    assert unity.apply_local(config, spec) == []
    unity.run(config, "plan", None, workspace=False)
    assert capsys.readouterr().out.startswith("no changes: the local catalog (local, ")
    stored = json.loads(metastore.state_path(config).read_text())
    assert stored["applied"]["file"].endswith("release/unity_catalog.yml")
    state = State.from_json(stored)
    assert state.catalogs == {"dev", "sit", "qa", "prod"}
    assert state.grants[("external_location", "dev_tables")]["data_engineers"] == {
        "READ_FILES", "WRITE_FILES", "CREATE_EXTERNAL_TABLE"}


def test_a_grant_removed_from_the_file_is_revoked(config: LakehouseConfig,
                                                  tmp_path: Path) -> None:
    unity.apply_local(config, unity.load())
    text = (ROOT / "release" / "unity_catalog.yml").read_text()
    edited = tmp_path / "uc.yml"
    edited.write_text(text.replace("data_analysts: [USE SCHEMA, SELECT]",
                                   "data_analysts: [USE SCHEMA]"))
    changes = unity.apply_local(config, unity.load(edited))
    assert [c.describe() for c in changes] == [
        f"- revoke SELECT on schema {env}.fitness from data_analysts"
        for env in ("dev", "prod", "qa", "sit")]
    assert not unity.current(config).may_read("data_analysts", "dev.fitness")
    assert unity.current(config).may_read("data_engineers", "dev.fitness")


def test_file_errors_are_config_errors(tmp_path: Path) -> None:
    bad = tmp_path / "uc.yml"
    bad.write_text("groups: []\n")
    with pytest.raises(ConfigError, match=r"uc.yml:1: groups: declare at least one group"):
        unity.load(bad)


def test_status_in_a_new_process_shows_catalogs_locations_grants_and_readers(
        config: LakehouseConfig) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEHOUSE_", "AZURITE_"))}
    env |= {"LAKEHOUSE_HOME": config.home, "LAKEHOUSE_STORAGE": "local", "PYTHONPATH": str(ROOT)}

    def lakehouse(*args: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "lakehouse_local", *args], env=env,
                              capture_output=True, text=True, timeout=120, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    before = lakehouse("status", "--no-tables")
    assert "unity catalog: nothing applied for storage 'local'" in before
    assert "applied 48 changes" in lakehouse("catalog", "apply")
    out = lakehouse("status", "--no-tables")
    local = Path(config.home).resolve().as_posix() + "/local"
    assert "  catalog dev: schemas fitness" in out
    assert f"dev_tables        file:{local}/lakehouse/dev  (credential dev_lakehouse_connector)" \
        in out
    assert ("    schema dev.fitness: data_analysts SELECT, USE_SCHEMA" in out)
    assert ("    catalog prod: data_analysts USE_CATALOG; data_engineers CREATE_TABLE, MODIFY, "
            "SELECT, USE_CATALOG, USE_SCHEMA") in out
    assert "  may read dev.fitness: data_analysts, data_engineers" in out
    assert lakehouse("catalog", "apply").startswith("no changes")


def test_the_cli_parses_catalog_commands() -> None:
    args = cli.parse(["catalog", "apply", "--workspace", "--file", "x.yml"])
    assert (args.action, args.workspace, args.file) == ("apply", True, Path("x.yml"))
