"""The workspace backend, driven through the official databricks-sdk client against the
Unity Catalog endpoints of the local REST emulator, and against a real workspace (plan
only, read-only) when DATABRICKS_HOST and DATABRICKS_TOKEN name one.

Expected behaviour from the Unity Catalog REST reference: names unique (409), a schema
needs its catalog and a location its storage credential (404), locations may not overlap
and a privilege must apply to its securable (400), grants read back per principal.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("databricks.sdk")
from databricks.sdk import WorkspaceClient  # noqa: E402
from databricks.sdk.core import Config  # noqa: E402
from databricks.sdk.errors import BadRequest, NotFound, ResourceAlreadyExists  # noqa: E402
from databricks.sdk.service.catalog import (  # noqa: E402
    AzureManagedIdentityRequest,
    PermissionsChange,
    Privilege,
)

from app.platform.config import LakehouseConfig  # noqa: E402
from app.platform.errors import LakehouseError  # noqa: E402
from emulators.databricks import server  # noqa: E402
from lakehouse_local import unity  # noqa: E402
from release.unity import plan, workspace  # noqa: E402
from release.unity.state import desired  # noqa: E402

TOKEN = f"dapi{secrets.token_hex(16)}"
CONNECTOR = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
             "Microsoft.Databricks/accessConnectors/{}")


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[server.EmulatorServer]:
    srv, _ = server.start(tmp_path / "databricks", TOKEN)
    yield srv
    server.stop(srv)


@pytest.fixture
def w(emulator: server.EmulatorServer) -> WorkspaceClient:
    return WorkspaceClient(config=Config(host=emulator.url, token=TOKEN, retry_timeout_seconds=20))


def credentials(w: WorkspaceClient) -> None:
    for env in ("dev", "sit", "qa", "prod"):
        name = f"{env}_lakehouse_connector"
        w.storage_credentials.create(name=name, azure_managed_identity=AzureManagedIdentityRequest(
            access_connector_id=CONNECTOR.format(name)))


def test_apply_through_the_sdk_then_nothing_left(w: WorkspaceClient) -> None:
    spec = unity.load()
    assert workspace.missing_credentials(w, spec) == [
        "dev_lakehouse_connector", "prod_lakehouse_connector", "qa_lakehouse_connector",
        "sit_lakehouse_connector"]
    credentials(w)
    assert workspace.missing_credentials(w, spec) == []
    changes = plan.diff(desired(spec), workspace.read_state(w, spec), spec.groups)
    assert len(changes) == 48
    workspace.apply(w, changes, spec)
    after = workspace.read_state(w, spec)
    assert plan.diff(desired(spec), after, spec.groups) == []
    # What the workspace now holds, read back with the plain SDK calls.
    assert {c.name for c in w.catalogs.list()} == {"dev", "sit", "qa", "prod"}
    assert w.catalogs.get("qa").storage_root == "abfss://lakehouse@lakehouseqa.dfs.core.windows.net/qa"
    assert w.schemas.get("prod.fitness").comment == "bronze, silver and gold tables of the pipeline"
    loc = w.external_locations.get("dev_tables")
    assert (loc.url, loc.credential_name) == (
        "abfss://lakehouse@lakehousedev.dfs.core.windows.net/dev", "dev_lakehouse_connector")
    grants = {a.principal: {p.value for p in a.privileges or []}
              for a in w.grants.get("schema", "dev.fitness").privilege_assignments or []}
    assert grants == {"data_analysts": {"USE_SCHEMA", "SELECT"}}
    assert after.may_read("data_analysts", "qa.fitness")


def test_extra_grants_of_declared_groups_are_revoked_others_kept(w: WorkspaceClient) -> None:
    spec = unity.load()
    credentials(w)
    workspace.apply(w, plan.diff(desired(spec), workspace.read_state(w, spec), spec.groups),
                    spec)
    w.grants.update("catalog", "dev", changes=[
        PermissionsChange(principal="data_analysts", add=[Privilege.MODIFY]),
        PermissionsChange(principal="owner@corp.com", add=[Privilege.ALL_PRIVILEGES])])
    changes = plan.diff(desired(spec), workspace.read_state(w, spec), spec.groups)
    assert [c.describe() for c in changes] == ["- revoke MODIFY on catalog dev from data_analysts"]
    workspace.apply(w, changes, spec)
    held = {a.principal: {p.value for p in a.privileges or []}
            for a in w.grants.get("catalog", "dev").privilege_assignments or []}
    assert held["data_analysts"] == {"USE_CATALOG"}
    assert held["owner@corp.com"] == {"ALL_PRIVILEGES"}


def test_the_emulator_refuses_what_unity_catalog_refuses(w: WorkspaceClient) -> None:
    w.catalogs.create(name="dev")
    with pytest.raises(BadRequest, match="No parent external location was found for path"):
        w.catalogs.create(name="prod", storage_root="abfss://a@b.dfs.core.windows.net/prod")
    with pytest.raises(ResourceAlreadyExists):
        w.catalogs.create(name="dev")
    with pytest.raises(NotFound, match="Catalog 'nope' does not exist"):
        w.schemas.create(name="fitness", catalog_name="nope")
    with pytest.raises(NotFound, match="Storage Credential 'c' does not exist"):
        w.external_locations.create(name="x", url="abfss://a@b.dfs.core.windows.net/",
                                    credential_name="c")
    w.storage_credentials.create(name="c", azure_managed_identity=AzureManagedIdentityRequest(
        access_connector_id=CONNECTOR.format("c")))
    w.external_locations.create(name="x", url="abfss://a@b.dfs.core.windows.net/t",
                                credential_name="c")
    with pytest.raises(BadRequest, match="overlaps with other external location 'x'"):
        w.external_locations.create(name="y", url="abfss://a@b.dfs.core.windows.net/t/u",
                                    credential_name="c")
    with pytest.raises(BadRequest, match="Privilege READ_FILES is not applicable"):
        w.grants.update("catalog", "dev", changes=[
            PermissionsChange(principal="g", add=[Privilege.READ_FILES])])


def test_the_cli_applies_to_the_workspace_named_by_the_environment(
        emulator: server.EmulatorServer, w: WorkspaceClient, base_config: LakehouseConfig,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in list(os.environ):
        if name.startswith(("DATABRICKS_", "ARM_", "AZURE_")):
            monkeypatch.delenv(name)
    with pytest.raises(LakehouseError, match="needs DATABRICKS_HOST and DATABRICKS_TOKEN"):
        unity.run(base_config, "plan", None, workspace=True)
    monkeypatch.setenv("DATABRICKS_HOST", emulator.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-wrong")
    with pytest.raises(LakehouseError, match="the workspace refused: PermissionDenied"):
        unity.run(base_config, "plan", None, workspace=True)
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    with pytest.raises(LakehouseError, match="storage credentials missing on the workspace"):
        unity.run(base_config, "apply", None, workspace=True)
    assert list(w.catalogs.list()) == []  # refused before anything was applied
    credentials(w)
    assert unity.run(base_config, "apply", None, workspace=True) == 0
    out = capsys.readouterr().out
    assert f"plan for the workspace {emulator.url}: 20 to create, 28 to grant" in out
    assert TOKEN not in out
    unity.run(base_config, "plan", None, workspace=True)
    assert capsys.readouterr().out.startswith(f"no changes: the workspace {emulator.url}")


@pytest.mark.skipif(not (os.environ.get("DATABRICKS_HOST") and os.environ.get("DATABRICKS_TOKEN"))
                    or "127.0.0.1" in os.environ.get("DATABRICKS_HOST", ""),
                    reason="no Databricks workspace: DATABRICKS_HOST and DATABRICKS_TOKEN unset")
def test_plan_against_a_real_workspace() -> None:  # pragma: no cover - needs a workspace
    spec = unity.load()
    w = workspace.client()
    changes = plan.diff(desired(spec), workspace.read_state(w, spec), spec.groups)
    print(plan.render(changes, w.config.host or "workspace"))  # read-only: nothing applied
