"""The local dbutils stand-in: the runtime stub's calls, over the storage adapter (no Spark)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from app.platform.config import load_config
from emulators.databricks import dbutils as standin
from emulators.databricks.dbutils import DBUtils, InputWidgetNotDefined, NotebookExit


def test_widgets_parameters_beat_defaults() -> None:
    d = DBUtils({"environment": "prod"})
    d.widgets.text("environment", "dev", "Environment")
    d.widgets.dropdown("run_type", "once", ["once", "stream"])
    assert d.widgets.get("environment") == "prod"
    assert d.widgets.get("run_type") == "once"
    assert d.widgets.getArgument("nope", "fallback") == "fallback"
    with pytest.raises(InputWidgetNotDefined):
        d.widgets.get("nope")
    d.widgets.removeAll()
    assert d.widgets.get("environment") == "prod"  # a parameter outlives its widget
    with pytest.raises(ValueError):
        DBUtils({"run_type": "sometimes"}).widgets.dropdown("run_type", "once",
                                                           ["once", "stream"])


def test_exit_ends_the_notebook_with_its_value() -> None:
    with pytest.raises(NotebookExit) as done:
        DBUtils().notebook.exit("42")
    assert done.value.value == "42"


def test_secrets_come_from_the_environment_and_errors_name_the_variable_only() -> None:
    d = DBUtils(env={"DATABRICKS_SECRET_LAKEHOUSE_STORAGE_KEY": "s3cr3t-value"})
    assert d.secrets.get("lakehouse", "storage-key") == "s3cr3t-value"
    with pytest.raises(standin.SecretNotFound) as missing:
        d.secrets.get("lakehouse", "other")
    assert "DATABRICKS_SECRET_LAKEHOUSE_OTHER" in str(missing.value)
    assert "s3cr3t" not in str(missing.value)


def test_fs_over_the_local_storage_target(tmp_path: Path) -> None:
    config = load_config(env={"LAKEHOUSE_STORAGE": "local", "LAKEHOUSE_HOME": str(tmp_path)})
    d = DBUtils(config=config)
    from app.platform.storage import storage_target

    zone = storage_target(config).url("data_zone").rstrip("/")
    assert d.fs.mkdirs(f"{zone}/raw/x")
    assert d.fs.put(f"{zone}/raw/x/a.json", '{"a": 1}\n')
    with pytest.raises(FileExistsError):
        d.fs.put(f"{zone}/raw/x/a.json", "again")
    assert d.fs.head(f"{zone}/raw/x/a.json") == '{"a": 1}\n'
    assert d.fs.cp(f"{zone}/raw/x", f"{zone}/raw/y", recurse=True)
    assert [f.name for f in d.fs.ls(f"{zone}/raw")] == ["x/", "y/"]
    listed = d.fs.ls(f"{zone}/raw/y")
    assert [(f.name, f.size) for f in listed] == [("a.json", 9)]
    assert listed[0].path == f"{zone}/raw/y/a.json"
    assert d.fs.mv(f"{zone}/raw/y/a.json", f"{zone}/raw/z.json")
    assert [f.name for f in d.fs.ls(f"{zone}/raw")] == ["x/", "z.json"]
    with pytest.raises(IsADirectoryError):
        d.fs.rm(f"{zone}/raw/x")
    assert d.fs.rm(f"{zone}/raw/x", recurse=True)
    assert [f.name for f in d.fs.ls(f"{zone}/raw")] == ["z.json"]


def test_the_stand_in_has_the_runtime_stub_s_signatures() -> None:
    # Loaded from its file: importing databricks.sdk.runtime builds a workspace client.
    import importlib.util

    sdk = importlib.util.find_spec("databricks.sdk")
    if sdk is None or not sdk.submodule_search_locations:
        pytest.skip("databricks-sdk is not installed (`make setup`)")
    spec = importlib.util.spec_from_file_location(
        "dbutils_stub", Path(list(sdk.submodule_search_locations)[0]) / "runtime" /
        "dbutils_stub.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stub = module.dbutils
    d = DBUtils()
    for group, names in {"widgets": ["text", "dropdown", "get", "getArgument", "remove",
                                     "removeAll"],
                         "notebook": ["run", "exit"], "secrets": ["get", "getBytes", "list"],
                         "fs": ["ls", "cp", "mv", "rm", "mkdirs", "put", "head"]}.items():
        for name in names:
            want = [p for p in inspect.signature(getattr(getattr(stub, group), name)).parameters
                    if p != "self"]
            got = list(inspect.signature(getattr(getattr(d, group), name)).parameters)
            assert got == want, f"dbutils.{group}.{name}{got} != stub {want}"
