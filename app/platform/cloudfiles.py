"""A local stand-in for Databricks Auto Loader (``format("cloudFiles")``): emulation only.

Open-source Spark answers ``spark.readStream.format("cloudFiles")`` with
"Failed to find data source: cloudFiles". Pipeline code must still be written
exactly as on Databricks, so ``install()`` (called by the session factory when
not on Databricks) teaches the running PySpark's ``DataStreamReader`` to
translate an Auto Loader read into Spark's built-in streaming file source:

- ``cloudFiles.format`` -> the reader's format (json, csv, text, parquet ...);
- ``cloudFiles.maxFilesPerTrigger`` / ``cloudFiles.maxBytesPerTrigger`` ->
  the file source's ``maxFilesPerTrigger`` / ``maxBytesPerTrigger`` (Auto
  Loader's byte strings such as ``10g`` become the integer the file source wants;
  with both set, only the byte limit, as the file source takes one);
- ``rescuedDataColumn`` -> ``columnNameOfCorruptRecord`` in PERMISSIVE mode,
  with the column appended to the schema (Auto Loader adds it itself). It then
  holds the raw text of a record that does not fit the schema. Real Auto Loader
  puts a JSON of the mismatched fields there instead; either way it is NULL
  exactly for records that loaded cleanly, which is what pipeline code tests;
- other ``cloudFiles.*`` options (schemaLocation, schemaEvolutionMode,
  inferColumnTypes, useNotifications, ...) configure Auto Loader's own
  machinery and are ignored; every other option passes through unchanged.

Why a rewrite and not a Python data source registered as ``cloudFiles``: the
built-in file source lists and reads through Hadoop (so abfs:// on Azurite and
ADLS works with the session's credentials), it exposes the ``_metadata``
column (``_metadata.file_path``, as Auto Loader does), its checkpoint format
is Spark's own, and it runs in the JVM: a rewrite costs nothing at run time
(bench/pipeline.py measures it against a direct built-in read), while a Python
source pays Arrow conversion per record and needs its own listing per storage.
"""

from __future__ import annotations

import logging
import re
from typing import Any

log = logging.getLogger(__name__)

FORMAT_NAME = "cloudfiles"
_TRANSLATED = {
    "cloudfiles.maxfilespertrigger": "maxFilesPerTrigger",
    "cloudfiles.maxbytespertrigger": "maxBytesPerTrigger",
}
_STATE = "_lakehouse_cloudfiles"
_installed = False


class CloudFilesOptionError(ValueError):
    """An Auto Loader read that Auto Loader itself would reject."""


def _state(reader: Any) -> dict[str, Any]:
    state = reader.__dict__.get(_STATE)
    if state is None:
        state = {"active": False, "options": {}, "schema": None}
        reader.__dict__[_STATE] = state
    return state


_BYTE_UNITS = {"": 0, "k": 10, "m": 20, "g": 30, "t": 40}


def byte_count(text: str) -> str:
    """Auto Loader's byte strings (``10g``, ``512m``, ``1048576``) as the file source's integer."""
    match = re.fullmatch(r"\s*(\d+)\s*([kmgt]?)b?\s*", text.lower())
    if not match:
        raise CloudFilesOptionError(
            f"cloudFiles.maxBytesPerTrigger={text!r} is not a byte size (e.g. 10g, 512m, 1048576)"
        )
    return str(int(match[1]) << _BYTE_UNITS[match[2]])


def translate_options(options: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Auto Loader options -> (built-in format, built-in file-source options)."""
    fmt = None
    out: dict[str, str] = {}
    rescued = None
    for key, value in options.items():
        low = key.lower()
        if low == "cloudfiles.format":
            fmt = value
        elif low == "cloudfiles.maxbytespertrigger":
            out[_TRANSLATED[low]] = byte_count(value)
        elif low in _TRANSLATED:
            out[_TRANSLATED[low]] = value
        elif low.startswith("cloudfiles."):
            log.debug("cloudFiles stand-in: ignoring Auto Loader option %s", key)
        elif low == "rescueddatacolumn":
            rescued = value
        else:
            out[key] = value
    if not fmt:
        raise CloudFilesOptionError(
            "a cloudFiles read needs the option cloudFiles.format (json, csv, parquet, text ...), "
            "as Auto Loader requires: add .option('cloudFiles.format', 'json')"
        )
    if "maxFilesPerTrigger" in out and "maxBytesPerTrigger" in out:
        # Auto Loader stops a batch at whichever limit comes first; Spark's
        # file source takes one of them: the byte limit, which bounds a
        # batch's size whatever the files hold.
        log.debug("cloudFiles stand-in: maxBytesPerTrigger set, maxFilesPerTrigger ignored")
        del out["maxFilesPerTrigger"]
    if rescued:
        out["columnNameOfCorruptRecord"] = rescued
        out["mode"] = "PERMISSIVE"
    return fmt, out


def install() -> None:
    """Make ``spark.readStream.format("cloudFiles")`` work in this process (idempotent)."""
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
    from pyspark.sql.types import StringType, StructField, StructType

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
        low = key.lower()
        if low.startswith("cloudfiles.") or low == "rescueddatacolumn":
            return self  # translated at load(); Auto Loader-only keys never reach the JVM
        return orig_option(self, key, value)

    def options(self: Any, **opts: Any) -> Any:
        for key, value in opts.items():
            option(self, key, value)
        return self

    def schema(self: Any, value: Any) -> Any:
        _state(self)["schema"] = value
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
        fmt, translated = translate_options(raw)
        orig_format(self, fmt)
        for key, value in translated.items():
            orig_option(self, key, value)
        user_schema = state["schema"]
        if user_schema is None:
            # Auto Loader infers (and stores under schemaLocation); infer once here.
            session = getattr(self, "_spark", None) or self._client  # classic | connect
            batch = session.read.format(fmt)
            for key, value in translated.items():
                if key not in ("maxFilesPerTrigger", "maxBytesPerTrigger"):
                    batch = batch.option(key, value)
            user_schema = batch.load(path).schema
        if isinstance(user_schema, str):
            user_schema = StructType.fromDDL(user_schema)
        rescued = translated.get("columnNameOfCorruptRecord")
        if rescued and rescued not in user_schema.fieldNames():
            user_schema = StructType([*user_schema.fields, StructField(rescued, StringType())])
        orig_schema(self, user_schema)
        return orig_load(self, path)

    DataStreamReader.format = format  # type: ignore[method-assign,assignment]
    DataStreamReader.option = option  # type: ignore[method-assign,assignment]
    DataStreamReader.options = options  # type: ignore[method-assign]
    DataStreamReader.schema = schema  # type: ignore[method-assign,assignment]
    DataStreamReader.load = load
