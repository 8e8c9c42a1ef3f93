"""A local ``dbutils`` with the shapes of the databricks-sdk runtime stub.

Local room only. ``databricks.sdk.runtime.dbutils_stub`` declares what a
notebook may call; this module implements the parts the project uses:

- ``widgets``: text, dropdown, combobox, multiselect, get, getArgument,
  remove, removeAll. Values come from the run's parameters (job or
  ``notebook.run`` arguments) and fall back to the widget's default.
- ``notebook.exit(value)`` ends the notebook with ``value`` as its result;
  ``notebook.run(path, timeout_seconds, arguments)`` runs another notebook as
  a child process and returns its exit value.
- ``fs``: ls, cp, mv, rm, mkdirs, put, head over the storage adapter
  (``app.platform.storage``): URLs of the configured external locations
  (``abfss://``, ``abfs://``, ``file:``) map to their ``ObjectStore``; plain
  paths and ``file:`` URLs outside them go to the local disk, ``dbfs:/`` to
  ``$LAKEHOUSE_HOME/dbfs``.
- ``secrets.get(scope, key)`` reads ``DATABRICKS_SECRET_<SCOPE>_<KEY>`` from
  the environment (upper case, other characters as ``_``). Never printed.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import sys
import time
from collections import namedtuple
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# The runtime stub's record types (databricks.sdk.runtime.dbutils_stub).
FileInfo = namedtuple("FileInfo", ["path", "name", "size", "modificationTime"])
SecretScope = namedtuple("SecretScope", ["name"])
SecretMetadata = namedtuple("SecretMetadata", ["key"])


class NotebookExit(BaseException):  # noqa: N818 - control flow like SystemExit, not an error
    """Raised by ``notebook.exit``: the notebook ends here with ``value``."""

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value


class InputWidgetNotDefined(Exception):  # noqa: N818 - Databricks' own name
    """``widgets.get`` of a widget that has neither a definition nor a parameter."""


class NotebookRunFailed(Exception):
    """A notebook started with ``notebook.run`` failed or timed out."""


class SecretNotFound(Exception):
    """No environment variable holds the secret (its name is given, never a value)."""


def secret_variable(scope: str, key: str) -> str:
    """The environment variable that holds secret ``key`` of ``scope``."""
    return "DATABRICKS_SECRET_" + re.sub(r"[^A-Z0-9]", "_", f"{scope}_{key}".upper())


class _Widgets:
    def __init__(self, parameters: Mapping[str, str]) -> None:
        self._parameters = {str(k): str(v) for k, v in parameters.items()}
        self._defaults: dict[str, str] = {}

    def _define(self, name: str, default: str) -> None:
        self._defaults[name] = "" if default is None else str(default)

    def text(self, name: str, defaultValue: str, label: str | None = None) -> None:  # noqa: N803
        self._define(name, defaultValue)

    def dropdown(self, name: str, defaultValue: str, choices: list[str],  # noqa: N803
                 label: str | None = None) -> None:
        if defaultValue not in choices:
            raise ValueError(f"default value {defaultValue!r} of widget {name!r} is not a choice")
        value = self._parameters.get(name)
        if value is not None and value not in choices:
            raise ValueError(f"widget {name!r}: {value!r} is not one of {choices}")
        self._define(name, defaultValue)

    def combobox(self, name: str, defaultValue: str, choices: list[str],  # noqa: N803
                 label: str | None = None) -> None:
        self._define(name, defaultValue)

    def multiselect(self, name: str, defaultValue: str, choices: list[str],  # noqa: N803
                    label: str | None = None) -> None:
        self._define(name, defaultValue)

    def get(self, name: str) -> str:
        if name in self._parameters:
            return self._parameters[name]
        if name in self._defaults:
            return self._defaults[name]
        raise InputWidgetNotDefined(f"No input widget named {name} is defined")

    def getArgument(self, name: str, defaultValue: str | None = None) -> str | None:  # noqa: N802,N803
        try:
            return self.get(name)
        except InputWidgetNotDefined:
            return defaultValue

    def getAll(self) -> dict[str, str]:  # noqa: N802
        return {**self._defaults, **self._parameters}

    def remove(self, name: str) -> None:
        self._defaults.pop(name, None)

    def removeAll(self) -> None:  # noqa: N802
        self._defaults.clear()


class _Notebook:
    def __init__(self, path: Path | None, workspace_root: Path | None,
                 env: Mapping[str, str] | None) -> None:
        self._path = path
        self._root = workspace_root
        self._env = dict(os.environ if env is None else env)

    def exit(self, value: Any) -> None:
        raise NotebookExit("" if value is None else str(value))

    def resolve(self, path: str) -> Path:
        """A notebook path as Databricks reads it: absolute in the workspace, or relative."""
        if path.startswith("/"):
            if self._root is None:
                raise FileNotFoundError(f"notebook {path}: no workspace root to look it up in")
            base = self._root / path.lstrip("/")
        else:
            here = self._path.parent if self._path else Path.cwd()
            base = (here / path).resolve()
        for candidate in (base, base.with_name(base.name + ".py")):
            if candidate.is_file():
                return candidate
        raise FileNotFoundError(f"notebook not found: {path}")

    def run(self, path: str, timeout_seconds: int = 0,
            arguments: Mapping[str, str] | None = None) -> str:
        from emulators.databricks.notebook import run_notebook_process

        result = run_notebook_process(
            self.resolve(path), dict(arguments or {}), env=self._env,
            workspace_root=self._root, timeout_seconds=timeout_seconds or None,
        )
        if result.state == "TIMEDOUT":
            raise NotebookRunFailed(f"notebook {path} timed out after {timeout_seconds} s")
        if result.state != "SUCCESS":
            raise NotebookRunFailed(f"notebook {path} failed: {result.error}")
        return result.exit_value or ""


class _Secrets:
    def __init__(self, env: Mapping[str, str] | None) -> None:
        self._env = os.environ if env is None else env

    def get(self, scope: str, key: str) -> str:
        name = secret_variable(scope, key)
        value = self._env.get(name)
        if value is None:
            raise SecretNotFound(f"secret {key!r} in scope {scope!r}: set {name}")
        return value

    def getBytes(self, scope: str, key: str) -> bytes:  # noqa: N802
        return self.get(scope, key).encode()

    def list(self, scope: str) -> builtins.list[SecretMetadata]:
        prefix = secret_variable(scope, "")
        return [SecretMetadata(k[len(prefix):].lower()) for k in sorted(self._env)
                if k.startswith(prefix)]

    def listScopes(self) -> builtins.list[SecretScope]:  # noqa: N802
        return []


class _Fs:
    """``dbutils.fs`` over the storage adapter's ``ObjectStore``s."""

    def __init__(self, config: Any = None) -> None:
        self._config = config
        self._target: Any = None

    def _stores(self) -> list[tuple[str, Any]]:
        from app.platform.config import load_config
        from app.platform.storage import storage_target

        if self._target is None:
            self._target = storage_target(self._config or load_config())
        return [(self._target.url(loc).rstrip("/"), self._target.store(loc))
                for loc in ("data_zone", "checkpoint", "tables")]

    def _resolve(self, path: str) -> tuple[Any, str, str]:
        """(store, key, base URL) for a path or URL."""
        from app.platform.storage import LocalStore

        for base, store in self._stores():
            if path == base or path.startswith(base + "/"):
                return store, path[len(base):].lstrip("/"), base
        if path.startswith("dbfs:/"):
            home = Path(getattr(self._config, "home", None) or
                        os.environ.get("LAKEHOUSE_HOME", ".lakehouse"))
            return LocalStore(home / "dbfs"), path[len("dbfs:/"):].lstrip("/"), "dbfs:"
        if path.startswith("file:"):
            path = re.sub(r"^file:(//)?", "", path)
        if path.startswith("/"):
            return LocalStore(Path("/")), path.lstrip("/"), ""
        if "://" in path:
            raise ValueError(f"{path}: not under an external location of this storage target")
        return LocalStore(Path.cwd()), path, str(Path.cwd())

    @staticmethod
    def _local_root(store: Any) -> Path | None:
        return getattr(store, "root", None)

    def ls(self, path: str) -> list[FileInfo]:
        store, key, base = self._resolve(path)
        prefix = key.rstrip("/") + "/" if key else ""
        keys = store.list(prefix)
        if not keys and key and store.exists(key):
            name = key.rsplit("/", 1)[-1]
            return [FileInfo(path, name, store.size(key) or 0, int(time.time() * 1000))]
        if not keys and key:
            raise FileNotFoundError(f"{path}: no such file or directory")
        found: dict[str, FileInfo] = {}
        for k in keys:
            rest = k[len(prefix):]
            head, _, tail = rest.partition("/")
            url = f"{path.rstrip('/')}/{head}" + ("/" if tail else "")
            name = head + ("/" if tail else "")
            if name not in found:
                found[name] = FileInfo(url, name, 0 if tail else (store.size(k) or 0), 0)
        return [found[n] for n in sorted(found)]

    def head(self, file: str, max_bytes: int = 65536) -> str:
        store, key, _ = self._resolve(file)
        return store.get_bytes(key)[:max_bytes].decode("utf-8", errors="replace")

    def put(self, file: str, contents: str, overwrite: bool = False) -> bool:
        store, key, _ = self._resolve(file)
        if not overwrite and store.exists(key):
            raise FileExistsError(f"{file} already exists (overwrite=False)")
        store.put_bytes(key, contents.encode())
        return True

    def mkdirs(self, dir: str) -> bool:  # noqa: A002 - the stub's name
        store, key, _ = self._resolve(dir)
        root = self._local_root(store)
        if root is not None:
            (Path(root) / key).mkdir(parents=True, exist_ok=True)
        return True  # object stores have no folders: a prefix exists once a file does

    def _files(self, store: Any, key: str, recurse: bool) -> list[str]:
        if store.exists(key) and not key.endswith("/"):
            return [key]
        if not recurse:
            raise IsADirectoryError(f"{key} is a directory: pass recurse=True")
        return store.list(key.rstrip("/") + "/")

    def cp(self, source: str, dest: str, recurse: bool = False) -> bool:
        src_store, src_key, _ = self._resolve(source)
        dst_store, dst_key, _ = self._resolve(dest)
        files = self._files(src_store, src_key, recurse)
        if not files:
            raise FileNotFoundError(f"{source}: no such file or directory")
        for k in files:
            rel = k[len(src_key):].lstrip("/")
            target = f"{dst_key.rstrip('/')}/{rel}" if rel else dst_key
            dst_store.put_bytes(target, src_store.get_bytes(k))
        return True

    def mv(self, source: str, dest: str, recurse: bool = False) -> bool:
        self.cp(source, dest, recurse)
        self.rm(source, recurse)
        return True

    def rm(self, dir: str, recurse: bool = False) -> bool:  # noqa: A002 - the stub's name
        store, key, _ = self._resolve(dir)
        if store.exists(key) and not key.endswith("/"):
            root = self._local_root(store)
            if root is not None:
                (Path(root) / key).unlink()
            else:
                others = [k for k in store.list(key) if k != key]
                if others:  # delete_prefix would take siblings such as key + "2"
                    raise RuntimeError(f"{dir}: cannot remove one blob beside {others[0]}")
                store.delete_prefix(key)
            return True
        prefix = key.rstrip("/") + "/"
        if not store.list(prefix):
            return False
        if not recurse:
            raise IsADirectoryError(f"{dir} is a directory: pass recurse=True")
        store.delete_prefix(prefix)
        root = self._local_root(store)
        if root is not None:
            import shutil

            shutil.rmtree(Path(root) / key, ignore_errors=True)
        return True


class _TaskValues:
    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def set(self, key: str, value: Any) -> None:
        json.dumps(value)  # Databricks keeps JSON-serialisable values only
        self._values[key] = value

    def get(self, taskKey: str, key: str, default: Any = None,  # noqa: N803
            debugValue: Any = None) -> Any:  # noqa: N803
        return self._values.get(key, debugValue if debugValue is not None else default)


class _Jobs:
    def __init__(self) -> None:
        self.taskValues = _TaskValues()  # noqa: N815 - the stub's name


class DBUtils:
    """The ``dbutils`` global of a locally run notebook."""

    def __init__(self, parameters: Mapping[str, str] | None = None, *,
                 notebook_path: Path | None = None, workspace_root: Path | None = None,
                 env: Mapping[str, str] | None = None, config: Any = None) -> None:
        self.widgets = _Widgets(parameters or {})
        self.notebook = _Notebook(notebook_path, workspace_root, env)
        self.secrets = _Secrets(env)
        self.fs = _Fs(config)
        self.jobs = _Jobs()

    def help(self) -> None:
        print("local dbutils stand-in: widgets, notebook, fs, secrets, jobs.taskValues",
              file=sys.stderr)
