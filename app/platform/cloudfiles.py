"""A local stand-in for Databricks Auto Loader (``format("cloudFiles")``): emulation only.

Open-source Spark answers ``spark.readStream.format("cloudFiles")`` with
"Failed to find data source: cloudFiles". Pipeline code must still be written
exactly as on Databricks, so ``install()`` (called by the session factory when
not on Databricks) makes PySpark's classic ``DataStreamReader`` hand a
``cloudFiles`` read to ``app.platform.autoloader.read_stream``, which gives it
Auto Loader's documented semantics on top of Spark's streaming file source:
schema inference stored and versioned under ``cloudFiles.schemaLocation``
(``_schemas/<n>``), ``inferColumnTypes``, ``schemaHints``, the four
``schemaEvolutionMode`` values, the rescued-data column as a JSON of the
mismatched fields plus ``_file_path``, ``includeExistingFiles``, the trigger
limits and ``_metadata``. Options that only tune Databricks' file discovery
are logged and ignored; any other option it does not emulate is refused with
``CloudFilesOptionError``. docs/autoloader.md has the option-by-option table.

Why this design:

- Spark's file source underneath, not a Python data source registered as
  ``cloudFiles``: it lists and reads through Hadoop (abfs:// on Azurite and
  ADLS works with the session's credentials), exposes ``_metadata``, keeps
  its state in Spark's own checkpoint, and runs in the JVM. The pipeline's
  bronze reads text with a fixed schema: that read is the file source with
  renamed options, no slower than a direct file-source read
  (bench/cloudfiles_source.py measures it). Inference, rescue and evolution
  are Spark SQL expressions (``from_json``, ``map_filter``, ``raise_error``),
  also in the JVM, and only on reads that ask for them.
- The DataFrame is built by a plain function of (session, options, path,
  schema) using public DataFrame APIs only, so it does not depend on how
  it is reached: this module patches both the classic ``DataStreamReader``
  and Spark Connect's client reader (``pyspark.sql.connect.streaming``),
  and code may call ``read_stream`` directly.
"""

from __future__ import annotations

from typing import Any

from app.platform.autoloader.options import byte_count
from app.platform.errors import CloudFilesOptionError

__all__ = ["FORMAT_NAME", "CloudFilesOptionError", "byte_count", "install"]

FORMAT_NAME = "cloudfiles"
_STATE = "_lakehouse_cloudfiles"
_installed = False


def _state(reader: Any) -> dict[str, Any]:
    state = reader.__dict__.get(_STATE)
    if state is None:
        state = {"active": False, "options": {}, "schema": None}
        reader.__dict__[_STATE] = state
    return state


def install() -> None:
    """Make ``spark.readStream.format("cloudFiles")`` work in this process (idempotent).

    Patches the classic reader and, when pyspark has it, Spark Connect's client
    reader (the session factory's connect mode).
    """
    global _installed
    if _installed:
        return
    from pyspark.sql.streaming.readwriter import DataStreamReader

    _patch(DataStreamReader)
    try:  # Spark Connect's client has its own reader class (connect mode)
        from pyspark.sql.connect.streaming.readwriter import (
            DataStreamReader as ConnectDataStreamReader,
        )
    except ImportError:  # pragma: no cover - pyspark without the connect extra
        pass
    else:
        _patch(ConnectDataStreamReader)
    _installed = True


def _patch(DataStreamReader: Any) -> None:  # noqa: N803 - the class being patched
    from app.platform.autoloader import read_stream

    orig_format = DataStreamReader.format
    orig_option = DataStreamReader.option
    orig_schema = DataStreamReader.schema
    orig_load = DataStreamReader.load

    def format(self: Any, source: str) -> Any:
        state = _state(self)
        if source.lower() == FORMAT_NAME:
            state["active"] = True
            return self
        state["active"] = False
        return orig_format(self, source)

    def option(self: Any, key: str, value: Any) -> Any:
        state = _state(self)
        state["options"][key] = value
        if state["active"]:
            return self  # read_stream builds its own reader from the recorded options
        return orig_option(self, key, value)

    def options(self: Any, **opts: Any) -> Any:
        for key, value in opts.items():
            option(self, key, value)
        return self

    def schema(self: Any, value: Any) -> Any:
        state = _state(self)
        state["schema"] = value
        if state["active"]:
            return self
        return orig_schema(self, value)

    def load(
        self: Any,
        path: str | None = None,
        format: str | None = None,
        schema: Any = None,
        **opts: Any,
    ) -> Any:
        if format is not None:
            self.format(format)
        if schema is not None:
            self.schema(schema)
        self.options(**opts)
        state = _state(self)
        if not state["active"]:
            return orig_load(self, path)
        if path is None:
            raise CloudFilesOptionError("a cloudFiles read needs a path: .load('<folder>')")
        raw = {k: "" if v is None else str(v) for k, v in state["options"].items()}
        session = getattr(self, "_spark", None) or self._client  # classic | connect
        return read_stream(session, raw, path, state["schema"])

    DataStreamReader.format = format
    DataStreamReader.option = option
    DataStreamReader.options = options
    DataStreamReader.schema = schema
    DataStreamReader.load = load
