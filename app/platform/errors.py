"""One error hierarchy for the lakehouse: every message says what, where and how to fix it."""

from __future__ import annotations

import sys
import traceback


class LakehouseError(Exception):
    """Base class of every error this project raises on purpose."""


class ConfigError(LakehouseError):
    """A setting is missing, unknown or inconsistent.

    The message carries a debug string of the configuration with secrets masked.
    """

    def __init__(self, message: str, debug: str = "") -> None:
        self.debug = debug
        super().__init__(f"{message}\n  config: {debug}" if debug else message)


class JarsMissingError(ConfigError):
    """Spark's extra jars (Delta, hadoop-azure) were not resolved into the jar folder."""


class ClusterConfigError(ConfigError):
    """The Spark master and the storage target or driver address cannot work together."""


class ConnectServerError(LakehouseError):
    """The local Spark Connect server (connect mode) did not start; the message names its log."""


class EmulatorNotRunningError(LakehouseError):
    """A storage emulator (Azurite) does not answer where the config says it runs."""


class StorageNotFoundError(LakehouseError):
    """A container, folder or file does not exist in the storage target."""


class StorageAccessError(LakehouseError):
    """The storage target refused access (bad key, missing permission)."""


class SchemaMismatchError(LakehouseError):
    """Data does not have the columns or types a table expects."""


class CloudFilesOptionError(ConfigError):
    """An Auto Loader (``cloudFiles``) option the local stand-in refuses: invalid, or not emulated.

    Auto Loader options that only tune Databricks infrastructure are logged and
    ignored instead; an option that would change what a stream reads is refused,
    so code never passes locally on a silently ignored setting.
    """


class CloudFilesSchemaError(SchemaMismatchError):
    """The local Auto Loader cannot settle a stream's schema (nothing to infer from, bad hints)."""


class TableNotFoundError(LakehouseError):
    """A table named by the pipeline does not exist in the catalog."""


class CheckpointMismatchError(LakehouseError):
    """A stream's checkpoint was written by a query of another shape (code changed)."""


class ExternalLocationError(LakehouseError):
    """A path lies outside every declared Unity Catalog external location (as UC refuses it)."""


class PipelineLockedError(LakehouseError):
    """Another pipeline holds the lock on this environment's checkpoints (names the holder)."""


def translate(exc: BaseException, *, where: str = "") -> LakehouseError | BaseException:
    """Map an Azure SDK, Py4J or Spark exception onto this hierarchy.

    Returns the original exception when nothing better is known, so callers can
    ``raise translate(e) from e`` unconditionally.
    """
    if isinstance(exc, LakehouseError):
        return exc
    name = type(exc).__name__
    text = str(exc)
    prefix = f"{where}: " if where else ""
    if (
        name in ("ResourceNotFoundError",)
        or "PATH_NOT_FOUND" in text
        or "FileNotFoundException" in text
    ):
        return StorageNotFoundError(f"{prefix}{_first_line(text)}")
    if (
        name in ("ClientAuthenticationError",)
        or "AuthorizationFailure" in text
        or "403" in text.split("\n")[0]
    ):
        return StorageAccessError(
            f"{prefix}access denied ({_first_line(text)}). Check the account key or service "
            "principal settings (AZURE_STORAGE_KEY / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET)."
        )
    if name == "ServiceRequestError" or "Connection refused" in text:
        return EmulatorNotRunningError(
            f"{prefix}storage endpoint does not answer ({_first_line(text)}). "
            "Start the emulators with `make up`."
        )
    if "sources in the checkpoint offsets and now there are" in text:
        return CheckpointMismatchError(
            f"{prefix}the stream's checkpoint was written by a query with other sources "
            "(the pipeline code changed since it last ran). Start that stream over: run "
            "`lakehouse cleanup` (drops the schema, landing data and checkpoints)."
        )
    if "TABLE_OR_VIEW_NOT_FOUND" in text:
        return TableNotFoundError(f"{prefix}{_first_line(text)}. Run the DDL setup first.")
    if "DELTA_FAILED_TO_MERGE_FIELDS" in text or "SCHEMA_MISMATCH" in text.upper():
        return SchemaMismatchError(f"{prefix}{_first_line(text)}")
    return exc


def exit_status(exc: BaseException, *, where: str = "") -> int:
    """The one translation at every entry point: a clear message, an exit status.

    Errors this project knows (directly or through ``translate``) print one
    ``error: ...`` line on stderr and give 2; anything else prints its full
    trace (it is a bug or an unknown failure, its trace is the clue) and gives 1.
    """
    mapped = translate(exc, where=where)
    if isinstance(mapped, LakehouseError):
        print(f"error: {mapped}", file=sys.stderr)
        return 2
    traceback.print_exception(exc)
    return 1


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
